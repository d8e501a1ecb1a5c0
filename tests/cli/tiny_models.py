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


def attend(q, k, v, heads, causal, allowed=None, weights=None):
    """Multi-head scaled dot-product attention: (probabilities [heads, n, n], the heads' outputs side by side).
    `allowed`: the keys each query may see, bool [n, n] (a substitute for full attention), or None. `weights`: an
    approximation in place of softmax, weights(q_head, k_head) -> [n, n] (its own scale), or None."""
    n, d = q.shape
    hd = d // heads
    probabilities, mixed = [], np.zeros((n, d))
    for h in range(heads):
        cols = slice(h * hd, (h + 1) * hd)
        if weights is not None:
            p = weights(q[:, cols], k[:, cols])
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
