"""The Llama family from Hugging Face folders: for Llama, Mistral and Qwen2 this writes a tiny model with random
weights (config.json leaving out what takes the config class's default, model.safetensors with float32, float16 and
bfloat16 tensors, and a tokenizer.json in the shape transformers' LlamaConverter writes, built from the shipped
stories260K vocabulary), runs `attnscope-cli infer` on it, and checks every layer's attention within 1e-4 of a
float64 NumPy pass written here from the published definitions (RMSNorm, rotate_half RoPE, grouped-query attention,
Mistral's and Qwen2's sliding windows, Qwen2's q/k/v biases, SwiGLU), the next token's probabilities within 1e-4 and
the greedy continuation; that a text is tokenized as llama2.c tokenizes it; and that what is not run is refused in
one line with exit code 2."""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

import tiny_models

cli, stories = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(29)
V, D, H, KV, I, L, P = 512, 32, 4, 2, 48, 2, 64
hd = D // H
SPACE = "\u2581"


def normal(*shape, scale=0.2):
    return tiny_models.normal(rng, *shape, scale=scale)


def tokenizer_json(path):
    """tok512.bin as a tokenizer.json: pieces with '▁' for spaces, a merge for every split of a piece into two pieces
    ranked by the piece's score, Llama 2's normalizer (Prepend, Replace) and <s> before the text."""
    raw = open(path, "rb").read()
    at, pieces, scores = 4, [], []
    for _ in range(V):
        score, length = struct.unpack_from("<fi", raw, at)
        at += 8
        pieces.append(raw[at:at + length].decode("utf-8", "replace").replace(" ", SPACE))
        scores.append(score)
        at += length
    pieces[:3] = ["<unk>", "<s>", "</s>"]
    ids = {p: i for i, p in enumerate(pieces)}
    merges = []
    for i in range(259, V):
        p = pieces[i]
        for cut in range(1, len(p)):
            a, b = p[:cut], p[cut:]
            if ids.get(a, 0) >= 3 and ids.get(b, 0) >= 3:
                merges.append((-scores[i], len(merges), [a, b]))
    merges.sort(key=lambda m: (m[0], m[1]))
    added = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for i, c in enumerate(["<unk>", "<s>", "</s>"])]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Prepend", "prepend": SPACE},
                {"type": "Replace", "pattern": {"String": " "}, "content": SPACE}]},
            "pre_tokenizer": None,
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                          {"Sequence": {"id": "A", "type_id": 0}}],
                               "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": SPACE}, "content": " "}, {"type": "ByteFallback"},
                {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
            "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                      "vocab": ids, "merges": [m[2] for m in merges]}}


def make(family):
    """(config, weights, the stored tensors' bf16 bits, the window per layer, q/k/v biases?, tied?)"""
    biases = family == "qwen2"
    tied = family == "llama"
    w = {"model.embed_tokens.weight": normal(V, D, scale=0.5)}
    for l in range(L):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = 1 + normal(D, scale=0.1)
        w[p + "self_attn.q_proj.weight"] = normal(H * hd, D)
        w[p + "self_attn.k_proj.weight"] = normal(KV * hd, D)
        w[p + "self_attn.v_proj.weight"] = normal(KV * hd, D)
        w[p + "self_attn.o_proj.weight"] = normal(D, H * hd)
        if biases:
            for x, size in (("q", H * hd), ("k", KV * hd), ("v", KV * hd)):
                w[p + f"self_attn.{x}_proj.bias"] = normal(size, scale=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + normal(D, scale=0.1)
        w[p + "mlp.gate_proj.weight"] = normal(I, D)
        w[p + "mlp.up_proj.weight"] = normal(I, D)
        w[p + "mlp.down_proj.weight"] = normal(D, I)
    w["model.norm.weight"] = 1 + normal(D, scale=0.1)
    if not tied:
        w["lm_head.weight"] = normal(V, D, scale=0.5)
    # Some tensors as bfloat16 and float16, as checkpoints store them: the reference uses the values stored.
    bf16 = {}
    for name in ("model.layers.0.mlp.up_proj.weight", "model.layers.1.self_attn.k_proj.weight"):
        bf16[name], w[name] = tiny_models.to_bf16(w[name])
    w["model.layers.1.mlp.down_proj.weight"] = w["model.layers.1.mlp.down_proj.weight"].astype(np.float16)
    config = {"model_type": family, "hidden_size": D, "intermediate_size": I, "num_hidden_layers": L,
              "num_attention_heads": H, "num_key_value_heads": KV, "max_position_embeddings": P, "vocab_size": V}
    theta, eps, window = 10000.0, 1e-6, [0] * L
    if family == "llama":
        config.update({"tie_word_embeddings": True, "rope_theta": 500000.0, "rms_norm_eps": 1e-5})
        theta, eps = 500000.0, 1e-5
    elif family == "mistral":
        config.update({"sliding_window": 5})  # every layer
        window = [5] * L
    else:
        config.update({"use_sliding_window": True, "sliding_window": 4, "max_window_layers": 1, "rope_theta": 1e6})
        window = [0, 4]
        theta = 1e6
    return config, w, bf16, window, theta, eps, tied


def rms(x, g, eps):
    return x / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) * g


def rope(x, heads, theta):
    """rotate_half: the pairs (i, i + hd/2) of each head turned by t · θ^(−2i/hd)."""
    n = x.shape[0]
    inv = theta ** (-np.arange(0, hd, 2) / hd)
    angle = np.arange(n)[:, None] * inv[None, :]
    cos, sin = np.concatenate([np.cos(angle)] * 2, -1), np.concatenate([np.sin(angle)] * 2, -1)
    out = np.empty_like(x)
    for h in range(heads):
        q = x[:, h * hd:(h + 1) * hd]
        rotated = np.concatenate([-q[:, hd // 2:], q[:, :hd // 2]], -1)
        out[:, h * hd:(h + 1) * hd] = q * cos + rotated * sin
    return out


def reference(ids, w, window, theta, eps, tied, masks=None, approx=None, topk=None):
    """The pass in float64; `masks`: per layer, None or the keys each query may see, bool [1 or H, n, n] (evaluate's
    substitute), on top of the model's own causal mask and window; `approx(q, k, draws)`: an approximation's causal
    weights in place of softmax (and of the window) in every layer, `draws` the engine's index of the head's seeded
    draws (layer * 4,096 + head); `topk`: each query keeps the k highest scores among the keys it may see (ties: the
    smaller key), the topk pattern on the model's own scores."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    n = len(ids)
    x = w["model.embed_tokens.weight"][ids]
    attention = []
    for l in range(L):
        p = f"model.layers.{l}."
        a = rms(x, w[p + "input_layernorm.weight"], eps)
        lin = lambda y, name: y @ w[p + name + ".weight"].T + w.get(p + name + ".bias", 0)
        q = rope(lin(a, "self_attn.q_proj"), H, theta)
        k = rope(lin(a, "self_attn.k_proj"), KV, theta)
        v = lin(a, "self_attn.v_proj")
        heads, mixed = [], np.zeros((n, H * hd))
        for h in range(H):
            g = h // (H // KV)
            s = q[:, h * hd:(h + 1) * hd] @ k[:, g * hd:(g + 1) * hd].T / np.sqrt(hd)
            i, j = np.arange(n)[:, None], np.arange(n)[None, :]
            allowed = (j <= i) & ((j > i - window[l]) if window[l] else True)
            if masks is not None and masks[l] is not None:
                allowed = allowed & masks[l][h if masks[l].shape[0] > 1 else 0]
            s[~allowed] = -np.inf
            if topk is not None:
                for row in range(n):
                    seen = np.flatnonzero(allowed[row])
                    kept = sorted(seen, key=lambda j: (-s[row, j], j))[:topk]
                    s[row, np.setdiff1d(seen, kept)] = -np.inf
            e = np.exp(s - s.max(-1, keepdims=True))
            pr = e / e.sum(-1, keepdims=True)
            if approx is not None:
                pr = approx(q[:, h * hd:(h + 1) * hd], k[:, g * hd:(g + 1) * hd], l * 4096 + h)
            heads.append(pr)
            mixed[:, h * hd:(h + 1) * hd] = pr @ v[:, g * hd:(g + 1) * hd]
        attention.append(np.stack(heads))
        x = x + mixed @ w[p + "self_attn.o_proj.weight"].T
        b = rms(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = b @ w[p + "mlp.gate_proj.weight"].T
        x = x + (gate / (1 + np.exp(-gate)) * (b @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    head = w["model.embed_tokens.weight"] if tied else w["lm_head.weight"]
    return np.stack(attention), rms(x, w["model.norm.weight"], eps) @ head.T


def infer(*args):
    return subprocess.run([cli, "infer", *args], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as d:
    tokenizer = tokenizer_json(os.path.join(stories, "tok512.bin"))
    text = "Once upon a time, Lily saw a big dog."
    run = infer("--model", os.path.join(stories, "stories260K.bin"), "--text", text, "--json")
    assert run.returncode == 0, run.stderr
    llama2c_ids = json.loads(run.stdout)["ids"]
    for family in ("llama", "mistral", "qwen2"):
        config, weights, bf16, window, theta, eps, tied = make(family)
        folder = os.path.join(d, family)
        os.mkdir(folder)
        json.dump(config, open(os.path.join(folder, "config.json"), "w"))
        tiny_models.write_safetensors(os.path.join(folder, "model.safetensors"), weights, bf16=bf16)
        json.dump(tokenizer, open(os.path.join(folder, "tokenizer.json"), "w"), ensure_ascii=False)

        ids = [1, 403, 407, 261, 417, 11, 266, 324, 57, 280, 301, 46]
        out = os.path.join(d, family + ".npy")
        run = infer("--model", folder, "--ids", ",".join(map(str, ids)), "--attention-out", out, "--top", "5",
                    "--generate", "4", "--json")
        assert run.returncode == 0, (family, run.stderr)
        result = json.loads(run.stdout)
        attention, logits = reference(ids, weights, window, theta, eps, tied)
        worst = tiny_models.check(result, np.load(out), attention, logits, len(ids) - 1)
        # A windowed layer's query sees only its last W keys.
        for l in range(L):
            if window[l]:
                assert np.all(np.load(out)[l, :, -1, :len(ids) - window[l]] == 0), family
        # The greedy continuation, step by step from the reference.
        greedy = list(ids)
        for _ in range(4):
            greedy.append(int(np.argmax(reference(greedy, weights, window, theta, eps, tied)[1][-1])))
        assert result["generated_ids"] == greedy[len(ids):], (family, result["generated_ids"], greedy[len(ids):])
        # tokenizer.json's tokens are llama2.c's for the same vocabulary.
        run = infer("--model", folder, "--text", text, "--json")
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["ids"] == llama2c_ids, (json.loads(run.stdout)["ids"], llama2c_ids)
        # evaluate: a substitute for full attention, against the masked float64 pass: a causal window of radius 2 in
        # both layers; DeepSpeed's BigBird (token blocks, each head its own random keys, the mask written by `mask`);
        # and a stack, layer by layer (a window of radius 1, then full).
        text_ids = llama2c_ids
        n = len(text_ids)
        i, j = np.arange(n)[:, None], np.arange(n)[None, :]
        bigbird = ["-p", "block=1", "-p", f"num_heads={H}", "-p", "different_layout_per_head=true", "-p",
                   "num_random_blocks=2", "-p", "num_sliding_window_blocks=3", "-p", "seed=5"]
        mask_file = os.path.join(d, "bigbird.npy")
        run = subprocess.run([cli, "mask", "--pattern", "deepspeed-bigbird", *bigbird, "-n", str(n), "--out",
                              mask_file], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        bigbird_mask = np.load(mask_file).astype(bool)
        assert bigbird_mask.shape == (H, n, n) and not np.array_equal(bigbird_mask[0], bigbird_mask[1])
        window2 = (i - j <= 2)[None]
        cases = (
            (["--pattern", "window", "-p", "radius=2", "-p", "causal=true"], [window2] * L, "window"),
            (["--pattern", "deepspeed-bigbird", *bigbird], [bigbird_mask] * L, "BigBird"),
            (["--layers", "window radius=1 causal=true, full"], [(i - j <= 1)[None], None], "stack"),
            (["--pattern", "topk", "-p", "k=3"], "topk", "top-3"),
        )
        _, full_logits = reference(text_ids, weights, window, theta, eps, tied)
        softmax = lambda z: np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)
        p = softmax(full_logits)
        nll = lambda probs: -np.mean([np.log(probs[t, text_ids[t + 1]]) for t in range(n - 1)])
        kls = []
        for options, masks, name in cases:
            run = subprocess.run([cli, "evaluate", "--model", folder, "--text", text, *options, "--json"],
                                 capture_output=True, text=True)
            assert run.returncode == 0, (name, run.returncode, run.stderr, run.stdout[-300:])
            ev = json.loads(run.stdout)
            _, sub_logits = (reference(text_ids, weights, window, theta, eps, tied, topk=3) if masks == "topk" else
                             reference(text_ids, weights, window, theta, eps, tied, masks=masks))
            q = softmax(sub_logits)
            kl = (p * (np.log(p) - np.log(q))).sum(-1)
            assert kl.mean() > 1e-4, (name, "the substitute should change something")
            assert abs(ev["kl_mean"] - kl.mean()) < 1e-4 and abs(ev["kl_max"] - kl.max()) < 1e-4, (name, ev, kl.mean(), kl.max())
            assert abs(ev["top1_agreement"] - (p.argmax(-1) == q.argmax(-1)).mean()) < 1e-12, (name, ev)
            assert abs(ev["perplexity_full"] / np.exp(nll(p)) - 1) < 1e-4 and abs(ev["perplexity"] / np.exp(nll(q)) - 1) < 1e-4, (name, ev)
            kls.append(f"{name} {kl.mean():.3f}")
        # evaluate --approx: linear attention and Performer (relu features, seeded) run causally (running sums),
        # against the float64 pass with their weights; an approximation that cannot run causally is refused.
        for name, options, approx in (
                ("linear", ["--approx", "linear"],
                 lambda q, k, draws: tiny_models.linear_weights(q, k, causal=True)),
                ("performer", ["--approx", "performer", "-p", "kernel=relu", "-p", "orthogonal=false", "-p",
                               "nb_features=5", "-p", "seed=4"],
                 lambda q, k, draws: tiny_models.performer_relu_weights(q, k, 5, 4, draws, causal=True))):
            run = subprocess.run([cli, "evaluate", "--model", folder, "--text", text, *options, "--json"],
                                 capture_output=True, text=True)
            assert run.returncode == 0, run.stderr
            ev = json.loads(run.stdout)
            _, approx_logits = reference(text_ids, weights, window, theta, eps, tied, approx=approx)
            q = softmax(approx_logits)
            kl = (p * (np.log(p) - np.log(q))).sum(-1)
            assert kl.mean() > 1e-4 and abs(ev["kl_mean"] - kl.mean()) < 1e-4 * max(1, kl.mean()), (name, ev["kl_mean"], kl.mean())
            assert abs(ev["top1_agreement"] - (p.argmax(-1) == q.argmax(-1)).mean()) < 1e-12, (name, ev)
            kls.append(f"{name} {kl.mean():.3f}")
        for method in ("linformer", "nystrom"):
            run = subprocess.run([cli, "evaluate", "--model", folder, "--text", text, "--approx", method],
                                 capture_output=True, text=True)
            assert run.returncode == 2 and f"{method} cannot serve a decoder" in run.stderr, run.stderr
        print(f"{family} (tiny, random): attention within {worst:.1e} of NumPy's float64 pass; next-token p within "
              f"1e-4; greedy continuation and tokens agree; evaluate's KL as NumPy's: {', '.join(kls)}")

    # What is not run is refused in one line, exit code 2, naming the field or the tensor.
    bad = os.path.join(d, "llama")
    config = json.load(open(os.path.join(bad, "config.json")))
    for change, expected in ((
            {"rope_scaling": {"rope_type": "llama3", "factor": 8.0}}, "rope_scaling rope_type 'llama3' is not run"),
            ({"hidden_act": "gelu"}, "hidden_act 'gelu' is not run here: expected silu"),
            ({"num_key_value_heads": 3}, "num_key_value_heads 3 does not divide num_attention_heads 4"),
            ({"tie_word_embeddings": False}, "no tensor 'lm_head.weight'")):
        json.dump({**config, **change}, open(os.path.join(bad, "config.json"), "w"))
        run = infer("--model", bad, "--ids", "1,2,3")
        assert run.returncode == 2, (change, run.returncode, run.stderr)
        assert expected in run.stderr and run.stderr.count("\n") == 1, (change, run.stderr)
    json.dump(config, open(os.path.join(bad, "config.json"), "w"))
    elsewhere = os.path.join(d, "tokenizer-elsewhere.json")
    os.rename(os.path.join(bad, "tokenizer.json"), elsewhere)
    run = infer("--model", bad, "--ids", "1,2,3")
    assert run.returncode == 2 and "has no tokenizer.json" in run.stderr, run.stderr
    # --tokenizer gives a folder its tokenizer from elsewhere.
    run = infer("--model", bad, "--tokenizer", elsewhere, "--text", text, "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["ids"] == llama2c_ids
print("refusals: scaled RoPE, another activation, kv heads that do not divide, a missing lm_head, no tokenizer; "
      "--tokenizer from elsewhere")
