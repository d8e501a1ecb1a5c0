"""attnscope-cli infer runs a Hugging Face GPT-2 folder as transformers' modeling_gpt2 defines it. This script writes a
tiny GPT-2 with random weights (config.json leaving out what takes GPT2Config's default, model.safetensors with
GPT2LMHeadModel's "transformer." names, wpe stored as float16) beside GPT-2's real tokenizer files, computes the pass
in float64 with NumPy from the published definition, and checks every layer's attention within 1e-4 and the next
token's probabilities within 1e-4; and that a text is tokenized as GPT-2 tokenizes it."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

import tiny_models

cli, data = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(23)
V, P, D, L, H = 50257, 32, 16, 2, 4
I = 4 * D
hd = D // H


def normal(*shape, scale=0.2):
    return tiny_models.normal(rng, *shape, scale=scale)


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


def reference(ids):
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    t = "transformer."
    n = len(ids)
    ln = lambda x, g, b: tiny_models.layer_norm(x, g, b, 1e-5)
    x = w[t + "wte.weight"][ids] + w[t + "wpe.weight"][:n]
    attention = []
    for l in range(L):
        p = f"{t}h.{l}."
        a = ln(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"])
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        heads, mixed = tiny_models.attend(qkv[:, :D], qkv[:, D:2 * D], qkv[:, 2 * D:], H, causal=True)
        attention.append(heads)
        x = x + mixed @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        b = ln(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"])
        hidden = tiny_models.gelu_tanh(b @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + hidden @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    logits = ln(x, w[t + "ln_f.weight"], w[t + "ln_f.bias"]) @ w[t + "wte.weight"].T
    return np.stack(attention), logits


with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "tiny-gpt2")
    os.mkdir(model)
    # What GPT2Config leaves at its defaults (activation, epsilon, n_inner) is left out, as many real configs do.
    json.dump({"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": V, "n_positions": P,
               "n_embd": D, "n_layer": L, "n_head": H}, open(os.path.join(model, "config.json"), "w"))
    tiny_models.write_safetensors(os.path.join(model, "model.safetensors"), weights)
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(data, "tokenizers", "gpt2", name), model)

    ids = [15496, 995, 11, 428, 318, 257, 1332, 13]  # "Hello world, this is a test."
    out = os.path.join(d, "attention.npy")
    run = subprocess.run([cli, "infer", "--model", model, "--ids", ",".join(map(str, ids)), "--attention-out", out,
                          "--top", "5", "--json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    attention, logits = reference(ids)
    worst = tiny_models.check(result, np.load(out), attention, logits, len(ids) - 1)
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
