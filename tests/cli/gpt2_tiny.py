"""attnscope-cli infer runs a Hugging Face GPT-2 folder as transformers' modeling_gpt2 defines it. This script writes a
tiny GPT-2 with random weights (config.json leaving out what takes GPT2Config's default, model.safetensors with
GPT2LMHeadModel's "transformer." names, wpe stored as float16) beside GPT-2's real tokenizer files, computes the pass
in float64 with NumPy from the published definition, and checks every layer's attention within 1e-4 and the next
token's probabilities within 1e-4; and that a text is tokenized as GPT-2 tokenizes it."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

cli, data = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(23)
V, P, D, L, H = 50257, 32, 16, 2, 4
I = 4 * D
hd = D // H


def normal(*shape, scale=0.2):
    return (rng.normal(size=shape) * scale).astype(np.float32)


weights = {"transformer.wte.weight": normal(V, D), "transformer.wpe.weight": normal(P, D).astype(np.float16)}
for l in range(L):
    p = f"transformer.h.{l}."
    weights[p + "ln_1.weight"] = (1 + normal(D, scale=0.1))
    weights[p + "ln_1.bias"] = normal(D, scale=0.1)
    weights[p + "attn.c_attn.weight"] = normal(D, 3 * D)
    weights[p + "attn.c_attn.bias"] = normal(3 * D, scale=0.1)
    weights[p + "attn.c_proj.weight"] = normal(D, D)
    weights[p + "attn.c_proj.bias"] = normal(D, scale=0.1)
    weights[p + "ln_2.weight"] = (1 + normal(D, scale=0.1))
    weights[p + "ln_2.bias"] = normal(D, scale=0.1)
    weights[p + "mlp.c_fc.weight"] = normal(D, I)
    weights[p + "mlp.c_fc.bias"] = normal(I, scale=0.1)
    weights[p + "mlp.c_proj.weight"] = normal(I, D)
    weights[p + "mlp.c_proj.bias"] = normal(D, scale=0.1)
weights["transformer.ln_f.weight"] = (1 + normal(D, scale=0.1))
weights["transformer.ln_f.bias"] = normal(D, scale=0.1)


def write_safetensors(path, tensors):
    header, blobs, at = {"__metadata__": {"format": "pt"}}, [], 0
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        dtype = {np.float32: "F32", np.float16: "F16"}[array.dtype.type]
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def reference(ids):
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    t = "transformer."
    n = len(ids)

    def ln(x, g, b):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-5) * g + b

    def gelu_new(x):
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))

    x = w[t + "wte.weight"][ids] + w[t + "wpe.weight"][:n]
    attention = []
    mask = np.tril(np.ones((n, n), dtype=bool))
    for l in range(L):
        p = f"{t}h.{l}."
        a = ln(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"])
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = qkv[:, :D], qkv[:, D:2 * D], qkv[:, 2 * D:]
        heads, mixed = [], np.zeros((n, D))
        for h in range(H):
            s = q[:, h * hd:(h + 1) * hd] @ k[:, h * hd:(h + 1) * hd].T / np.sqrt(hd)
            s[~mask] = -np.inf
            e = np.exp(s - s.max(-1, keepdims=True))
            pr = e / e.sum(-1, keepdims=True)
            heads.append(pr)
            mixed[:, h * hd:(h + 1) * hd] = pr @ v[:, h * hd:(h + 1) * hd]
        attention.append(np.stack(heads))
        x = x + mixed @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        b = ln(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"])
        x = x + gelu_new(b @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]) @ w[p + "mlp.c_proj.weight"] \
            + w[p + "mlp.c_proj.bias"]
    logits = ln(x, w[t + "ln_f.weight"], w[t + "ln_f.bias"]) @ w[t + "wte.weight"].T
    return np.stack(attention), logits


with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "tiny-gpt2")
    os.mkdir(model)
    # What GPT2Config leaves at its defaults (activation, epsilon, n_inner) is left out, as many real configs do.
    json.dump({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": V, "n_positions": P,
               "n_embd": D, "n_layer": L, "n_head": H}, open(os.path.join(model, "config.json"), "w"))
    write_safetensors(os.path.join(model, "model.safetensors"), weights)
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(data, "tokenizers", "gpt2", name), model)

    ids = [15496, 995, 11, 428, 318, 257, 1332, 13]  # "Hello world, this is a test."
    out = os.path.join(d, "attention.npy")
    run = subprocess.run([cli, "infer", "--model", model, "--ids", ",".join(map(str, ids)), "--attention-out", out,
                          "--top", "5", "--json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    attention, logits = reference(ids)
    got = np.load(out)
    assert got.shape == (L, H, len(ids), len(ids)), got.shape
    worst = np.abs(got - attention).max()
    assert worst < 1e-4, f"attention differs by {worst}"
    p = np.exp(logits[-1] - logits[-1].max())
    p /= p.sum()
    for choice in result["predictions"]:
        assert abs(choice["p"] - p[choice["id"]]) < 1e-4, (choice, p[choice["id"]])
    assert [c["id"] for c in result["predictions"]] == list(np.argsort(-p, kind="stable")[:5]), result["predictions"]
    # A text is tokenized as GPT-2 tokenizes it.
    run = subprocess.run([cli, "infer", "--model", model, "--text", "Hello world, this is a test.", "--json"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    text_result = json.loads(run.stdout)
    assert text_result["ids"] == ids, run.stdout
    # Words as GPT-2's pattern cuts the text: the comma and the full stop are words of their own.
    assert text_result["words"] == ["Hello", "\u2581world", ",", "\u2581this", "\u2581is", "\u2581a", "\u2581test", "."], \
        text_result["words"]
    # --words writes the attention between words: every row still sums to 1.
    run = subprocess.run([cli, "infer", "--model", model, "--text", "Hello world, antidisestablishmentarianism.", "--words",
                          "--attention-out", out, "--json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    words = json.loads(run.stdout)
    merged = np.load(out)
    assert merged.shape[2] == len(words["words"]) < len(words["ids"]), (merged.shape, words)
    assert np.allclose(merged.sum(axis=3), 1.0, atol=1e-5)
print(f"GPT-2 (tiny, random): attention within {worst:.1e} of NumPy's float64 pass; next-token p within 1e-4")
