"""What the tiny-model tests share: random weights, safetensors as Hugging Face writes them, and the published
definitions of the layers in float64 (LayerNorm, GELU, multi-head attention, a post-norm encoder block), so that each
architecture's script only names its tensors and its config."""
import json
import struct
from math import erf

import numpy as np


def normal(rng, *shape, scale=0.2):
    return (rng.normal(size=shape) * scale).astype(np.float32)


def to_bf16(a):
    """float32 → bfloat16 bits (round to nearest even), and the float32 those bits stand for."""
    bits = a.astype(np.float32).view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return rounded, (rounded.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors, bf16=None):
    """float32 and float16 arrays as F32 and F16; `bf16` maps names to the bfloat16 bits stored for them."""
    header, blobs, at = {"__metadata__": {"format": "pt"}}, [], 0
    for name, array in tensors.items():
        if bf16 and name in bf16:
            raw, dtype = bf16[name].tobytes(), "BF16"
        else:
            raw = np.ascontiguousarray(array).tobytes()
            dtype = {np.float32: "F32", np.float16: "F16"}[array.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def layer_norm(x, g, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


gelu_erf = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / np.sqrt(2))))


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def elu_plus_one(x):
    return np.where(x > 0, x + 1, np.exp(np.minimum(x, 0)))


def linear_weights(q, k, causal):
    """Linear attention's effective weights (Katharopoulos et al.): phi(q_i).phi(k_j) over its row's sum, phi = elu + 1,
    no 1/sqrt(d); only j <= i when causal."""
    a = elu_plus_one(q) @ elu_plus_one(k).T
    if causal:
        a = np.tril(a)
    return a / a.sum(-1, keepdims=True)


def nystrom_weights(q, k, landmarks):
    """Nystromformer's effective weights: landmarks as means of equal segments, softmax kernels scaled by d^(-1/4)
    each side, the pseudo-inverse by six steps of the iteration of Razavi et al. from A^T / max column sum."""
    n, d = q.shape
    s = d ** -0.25
    ql = q.reshape(landmarks, n // landmarks, d).mean(1) * s
    kl = k.reshape(landmarks, n // landmarks, d).mean(1) * s
    soft = lambda z: np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)
    f1, a, f3 = soft((q * s) @ kl.T), soft(ql @ kl.T), soft(ql @ (k * s).T)
    z = a.T / a.sum(0).max()
    eye = np.eye(landmarks)
    for _ in range(6):
        az = a @ z
        z = 0.25 * z @ (13 * eye - az @ (15 * eye - az @ (7 * eye - az)))
    return f1 @ z @ f3


MASK64 = (1 << 64) - 1


class SplitMix64:
    """engine/util/random.h's SplitMix64, for the seeded projections of Linformer and Performer."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def normal(self):
        u1 = ((self.next() >> 11) + 1.0) * 2.0 ** -53
        u2 = (self.next() >> 11) * 2.0 ** -53
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def row_stream(seed, head, row):
    a = SplitMix64(seed ^ 0xA0761D6478BD642F).next() ^ ((head * 0xE7037ED1A0B428DB) & MASK64)
    return SplitMix64(SplitMix64(a).next() ^ ((row * 0x8EBC6AF09C88C6E3) & MASK64))


def linformer_weights(q, k, rows, seed, head):
    """Linformer's effective weights (n <= 1,024): E and F (k x n, entries uniform in +-1/sqrt(k), a seeded stream a
    row, drawn as the engine draws them), softmax(q (E k)^T / sqrt(d)) F. `head` is the engine's index for the
    draws (layer * 4,096 + head in a model's pass)."""
    n, d = q.shape

    def projection(which):
        e = np.empty((rows, n))
        for r in range(rows):
            rng = row_stream(seed * 4 + which, head, r * 1000003)
            e[r] = [(((rng.next() >> 40) * 2.0 ** -24) * 2 - 1) / np.sqrt(rows) for _ in range(n)]
        return e

    s = q @ (projection(0) @ k).T / np.sqrt(d)
    p = np.exp(s - s.max(-1, keepdims=True))
    return (p / p.sum(-1, keepdims=True)) @ projection(1)


def performer_relu_weights(q, k, features, seed, head, causal):
    """Performer's effective weights with the relu kernel and i.i.d. Gaussian features (orthogonal=false): W (m x d)
    drawn row by row from SplitMix64(seed * golden + head + 1) as the engine draws it, phi(x) = relu(W x d^(-1/4))
    + 1e-3, each row phi(q_i).phi(k_j) over its sum (j <= i when causal)."""
    n, d = q.shape
    rng = SplitMix64((seed * 0x9E3779B97F4A7C15 + head + 1) & MASK64)
    w = np.array([[rng.normal() for _ in range(d)] for _ in range(features)])
    phi = lambda x: np.maximum((x * d ** -0.25) @ w.T, 0) + 1e-3
    a = phi(q) @ phi(k).T
    if causal:
        a = np.tril(a)
    return a / a.sum(-1, keepdims=True)


def attend(q, k, v, heads, causal, allowed=None, weights=None):
    """Multi-head scaled dot-product attention: (probabilities [heads, n, n], the heads' outputs side by side).
    `allowed`: the keys each query may see, bool [n, n] (a substitute for full attention), or None. `weights`: an
    approximation in place of softmax, weights(q_head, k_head, head) -> [n, n] (its own scale), or None."""
    n, d = q.shape
    hd = d // heads
    probabilities, mixed = [], np.zeros((n, d))
    for h in range(heads):
        cols = slice(h * hd, (h + 1) * hd)
        if weights is not None:
            p = weights(q[:, cols], k[:, cols], h)
            probabilities.append(p)
            mixed[:, cols] = p @ v[:, cols]
            continue
        s = q[:, cols] @ k[:, cols].T / np.sqrt(hd)
        if causal:
            s[~np.tril(np.ones((n, n), dtype=bool))] = -np.inf
        if allowed is not None:
            s[~allowed] = -np.inf
        e = np.exp(s - s.max(-1, keepdims=True))
        p = e / e.sum(-1, keepdims=True)
        probabilities.append(p)
        mixed[:, cols] = p @ v[:, cols]
    return np.stack(probabilities), mixed


def encoder_block(x, w, names, heads, eps, allowed=None, weights=None):
    """A post-LayerNorm encoder block (BERT, RoBERTa, DistilBERT): `names` maps q, k, v, o, ln1, inter, out, ln2 to
    the tensor names (without .weight / .bias). Returns (attention, x)."""
    lin = lambda y, n: y @ w[names[n] + ".weight"].T + w[names[n] + ".bias"]
    attention, mixed = attend(lin(x, "q"), lin(x, "k"), lin(x, "v"), heads, causal=False,
                               allowed=allowed, weights=weights)
    a = layer_norm(lin(mixed, "o") + x, w[names["ln1"] + ".weight"], w[names["ln1"] + ".bias"], eps)
    out = layer_norm(lin(gelu_erf(lin(a, "inter")), "out") + a, w[names["ln2"] + ".weight"], w[names["ln2"] + ".bias"],
                     eps)
    return attention, out


def check(result, got, attention, logits, position):
    """The attention dump within 1e-4 of the reference, and the choices at `position` within 1e-4 of its softmax,
    most likely first. Returns the worst attention difference."""
    assert got.shape == attention.shape, (got.shape, attention.shape)
    worst = np.abs(got - attention).max()
    assert worst < 1e-4, f"attention differs by {worst}"
    p = np.exp(logits[position] - logits[position].max())
    p /= p.sum()
    choices = result if isinstance(result, list) else result["predictions"]
    for choice in choices:
        assert abs(choice["p"] - p[choice["id"]]) < 1e-4, (choice, p[choice["id"]])
    assert [c["id"] for c in choices] == list(np.argsort(-p, kind="stable")[:len(choices)]), choices
    return worst
