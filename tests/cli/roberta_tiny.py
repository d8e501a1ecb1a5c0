"""attnscope-cli infer runs a Hugging Face RoBERTa folder as transformers' modeling_roberta defines it (DistilRoBERTa is
a 6-layer RoBERTa). This script writes a tiny RobertaForMaskedLM with random weights (config.json leaving out what
takes RobertaConfig's default: layer_norm_eps 1e-5, one token type, pad_token_id 1) beside RoBERTa's real
vocabulary, computes the pass in float64 with NumPy — positions counted from padding_idx + 1 — and checks every
layer's attention within 1e-4 and the masked word's probabilities within 1e-4; and that the text is tokenized as
RoBERTa tokenizes it: <s> … </s>, byte-level BPE, and <mask> taking the space before it."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

cli, data = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(5)
V, P, T, Hd, L, H, I = 50265, 26, 1, 16, 2, 4, 32
hd = Hd // H


def normal(*shape, scale=0.2):
    return (rng.normal(size=shape) * scale).astype(np.float32)


def to_bf16(a):
    """float32 → bfloat16 bits (round to nearest even) and the float32 those bits stand for."""
    bits = a.astype(np.float32).view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return rounded, (rounded.astype(np.uint32) << 16).view(np.float32)


pos_bits, pos = to_bf16(normal(P, Hd))
w = {"roberta.embeddings.word_embeddings.weight": normal(V, Hd), "roberta.embeddings.position_embeddings.weight": pos,
     "roberta.embeddings.token_type_embeddings.weight": normal(T, Hd),
     "roberta.embeddings.LayerNorm.weight": 1 + normal(Hd, scale=0.1), "roberta.embeddings.LayerNorm.bias": normal(Hd, scale=0.1)}
for l in range(L):
    p = f"roberta.encoder.layer.{l}."
    for part in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
        w[p + part + ".weight"] = normal(Hd, Hd)
        w[p + part + ".bias"] = normal(Hd, scale=0.1)
    w[p + "attention.output.LayerNorm.weight"] = 1 + normal(Hd, scale=0.1)
    w[p + "attention.output.LayerNorm.bias"] = normal(Hd, scale=0.1)
    w[p + "intermediate.dense.weight"] = normal(I, Hd)
    w[p + "intermediate.dense.bias"] = normal(I, scale=0.1)
    w[p + "output.dense.weight"] = normal(Hd, I)
    w[p + "output.dense.bias"] = normal(Hd, scale=0.1)
    w[p + "output.LayerNorm.weight"] = 1 + normal(Hd, scale=0.1)
    w[p + "output.LayerNorm.bias"] = normal(Hd, scale=0.1)
w["lm_head.dense.weight"] = normal(Hd, Hd)
w["lm_head.dense.bias"] = normal(Hd, scale=0.1)
w["lm_head.layer_norm.weight"] = 1 + normal(Hd, scale=0.1)
w["lm_head.layer_norm.bias"] = normal(Hd, scale=0.1)
w["lm_head.bias"] = normal(V, scale=0.1)


def write_safetensors(path, tensors):
    header, blobs, at = {}, [], 0
    for name, array in tensors.items():
        if name == "roberta.embeddings.position_embeddings.weight":
            raw, dtype = pos_bits.tobytes(), "BF16"
        else:
            raw, dtype = np.ascontiguousarray(array, dtype=np.float32).tobytes(), "F32"
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def reference(ids):
    x64 = {k: v.astype(np.float64) for k, v in w.items()}
    e = "roberta.embeddings."

    def ln(x, g, b):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + 1e-5) * g + b

    from math import erf
    gelu = np.vectorize(lambda v: 0.5 * v * (1 + erf(v / np.sqrt(2))))
    n = len(ids)
    positions = np.arange(n) + 2  # padding_idx 1: the first token is at position 2
    x = x64[e + "word_embeddings.weight"][ids] + x64[e + "position_embeddings.weight"][positions] + \
        x64[e + "token_type_embeddings.weight"][0]
    x = ln(x, x64[e + "LayerNorm.weight"], x64[e + "LayerNorm.bias"])
    attention = []
    for l in range(L):
        p = f"roberta.encoder.layer.{l}."
        lin = lambda y, n_: y @ x64[p + n_ + ".weight"].T + x64[p + n_ + ".bias"]
        q, k, v = lin(x, "attention.self.query"), lin(x, "attention.self.key"), lin(x, "attention.self.value")
        heads, mixed = [], np.zeros_like(x)
        for h in range(H):
            s = q[:, h * hd:(h + 1) * hd] @ k[:, h * hd:(h + 1) * hd].T / np.sqrt(hd)
            e_ = np.exp(s - s.max(-1, keepdims=True))
            pr = e_ / e_.sum(-1, keepdims=True)
            heads.append(pr)
            mixed[:, h * hd:(h + 1) * hd] = pr @ v[:, h * hd:(h + 1) * hd]
        attention.append(np.stack(heads))
        a = ln(lin(mixed, "attention.output.dense") + x, x64[p + "attention.output.LayerNorm.weight"],
               x64[p + "attention.output.LayerNorm.bias"])
        x = ln(lin(gelu(lin(a, "intermediate.dense")), "output.dense") + a, x64[p + "output.LayerNorm.weight"],
               x64[p + "output.LayerNorm.bias"])
    t = gelu(x @ x64["lm_head.dense.weight"].T + x64["lm_head.dense.bias"])
    t = ln(t, x64["lm_head.layer_norm.weight"], x64["lm_head.layer_norm.bias"])
    logits = t @ x64["roberta.embeddings.word_embeddings.weight"].T + x64["lm_head.bias"]
    return np.stack(attention), logits


with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "tiny-roberta")
    os.mkdir(model)
    json.dump({"model_type": "roberta", "architectures": ["RobertaForMaskedLM"], "hidden_size": Hd,
               "num_hidden_layers": L, "num_attention_heads": H, "intermediate_size": I,
               "max_position_embeddings": P}, open(os.path.join(model, "config.json"), "w"))
    write_safetensors(os.path.join(model, "model.safetensors"), w)
    shutil.copy(os.path.join(data, "tokenizers", "roberta-base", "vocab.json"), model)
    shutil.copy(os.path.join(data, "tokenizers", "gpt2", "merges.txt"), model)  # RoBERTa's merges are GPT-2's
    vocab = json.load(open(os.path.join(model, "vocab.json")))

    text = "The cat <mask> on the mat."
    out = os.path.join(d, "attention.npy")
    run = subprocess.run([cli, "infer", "--model", model, "--text", text, "--attention-out", out, "--json"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    ids = result["ids"]
    # Worked by hand from the vocabulary: the pieces GPT-2's pattern and merges give, <mask> taking its space.
    want = [vocab[t] for t in ["<s>", "The", "\u0120cat", "<mask>", "\u0120on", "\u0120the", "\u0120mat", ".", "</s>"]]
    assert ids == want, (ids, want)
    assert result["tokens"][3] == "<mask>", result["tokens"]
    attention, logits = reference(ids)
    got = np.load(out)
    assert got.shape == (L, H, len(ids), len(ids)), got.shape
    worst = np.abs(got - attention).max()
    assert worst < 1e-4, f"attention differs by {worst}"
    assert (got[0, 0] > 0).all(), "an encoder's query sees every key"
    [masked] = result["predictions"]
    assert masked["position"] == 3, masked
    p = np.exp(logits[3] - logits[3].max())
    p /= p.sum()
    for choice in masked["choices"]:
        assert abs(choice["p"] - p[choice["id"]]) < 1e-4, (choice, p[choice["id"]])
    assert [c["id"] for c in masked["choices"]] == list(np.argsort(-p, kind="stable")[:5]), masked
    # An encoder writes no continuation.
    run = subprocess.run([cli, "infer", "--model", model, "--text", text, "--generate", "3"], capture_output=True,
                         text=True)
    assert run.returncode == 2 and "an encoder writes no continuation" in run.stderr, run.stderr
print(f"RoBERTa (tiny, random): attention within {worst:.1e} of NumPy's float64 pass; the masked word's p within 1e-4")
