"""attnscope-cli infer runs Hugging Face encoder folders as transformers defines them: BERT (modeling_bert),
DistilBERT (modeling_distilbert) and RoBERTa (modeling_roberta; DistilRoBERTa is a 6-layer RoBERTa). For each, this
script writes a tiny masked-LM model with random weights in the library's own names — its config.json leaving out
what takes the config class's default, bf16 position embeddings, BERT's old gamma/beta names for one LayerNorm —
beside the real vocabulary, computes the pass in float64 with NumPy, and checks every layer's attention (both ways:
no causal mask) within 1e-4 and the masked word's probabilities within 1e-4; and that the text is tokenized as the
library does it."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from tiny_models import (check, encoder_block, layer_norm, gelu_erf, linear_weights, linformer_weights, normal,
                         nystrom_weights, performer_relu_weights, to_bf16, write_safetensors)

cli, data = sys.argv[1], sys.argv[2]
Hd, L, H, I = 16, 2, 4, 32
BERT_BLOCK = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
              "o": "attention.output.dense", "ln1": "attention.output.LayerNorm", "inter": "intermediate.dense",
              "out": "output.dense", "ln2": "output.LayerNorm"}
DISTIL_BLOCK = {"q": "attention.q_lin", "k": "attention.k_lin", "v": "attention.v_lin", "o": "attention.out_lin",
                "ln1": "sa_layer_norm", "inter": "ffn.lin1", "out": "ffn.lin2", "ln2": "output_layer_norm"}

# name: (model_type, vocab size, positions, token types, embeddings prefix, layer prefix, block names,
#        head (dense, norm, bias), eps, first position, config, tokenizer files, text, expected tokens)
FLAVOURS = {
    "bert": ("bert", 30522, 24, 2, "bert.embeddings.", "bert.encoder.layer.", BERT_BLOCK,
             ("cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm", "cls.predictions.bias"), 1e-12,
             0, {"hidden_size": Hd, "num_hidden_layers": L, "num_attention_heads": H, "intermediate_size": I,
                 "max_position_embeddings": 24},
             [("bert-base-uncased", "vocab.txt")], "The cat [MASK] on the mat.",
             ["[CLS]", "the", "cat", "[MASK]", "on", "the", "mat", ".", "[SEP]"]),
    "distilbert": ("distilbert", 30522, 24, 0, "distilbert.embeddings.", "distilbert.transformer.layer.", DISTIL_BLOCK,
                   ("vocab_transform", "vocab_layer_norm", "vocab_projector.bias"), 1e-12, 0,
                   {"dim": Hd, "n_layers": L, "n_heads": H, "hidden_dim": I, "max_position_embeddings": 24},
                   [("bert-base-uncased", "vocab.txt")], "The cat [MASK] on the mat.",
                   ["[CLS]", "the", "cat", "[MASK]", "on", "the", "mat", ".", "[SEP]"]),
    # RoBERTa: positions from padding_idx + 1 = 2; <mask> takes the space before it.
    "roberta": ("roberta", 50265, 26, 1, "roberta.embeddings.", "roberta.encoder.layer.", BERT_BLOCK,
                ("lm_head.dense", "lm_head.layer_norm", "lm_head.bias"), 1e-5, 2,
                {"hidden_size": Hd, "num_hidden_layers": L, "num_attention_heads": H, "intermediate_size": I,
                 "max_position_embeddings": 26},
                [("roberta-base", "vocab.json"), ("gpt2", "merges.txt")], "The cat <mask> on the mat.",
                ["<s>", "The", "\u0120cat", "<mask>", "\u0120on", "\u0120the", "\u0120mat", ".", "</s>"]),
}


def run(flavour, d, rng):
    (model_type, V, P, T, emb, layer, block, (hd_dense, hd_norm, hd_bias), eps, first, config, files, text,
     expected) = FLAVOURS[flavour]
    pos_bits, pos = to_bf16(normal(rng, P, Hd))
    w = {emb + "word_embeddings.weight": normal(rng, V, Hd), emb + "position_embeddings.weight": pos}
    if T:
        w[emb + "token_type_embeddings.weight"] = normal(rng, T, Hd)
    ln_names = ("gamma", "beta") if flavour == "bert" else ("weight", "bias")  # BERT's old names, once
    w[emb + "LayerNorm." + ln_names[0]] = 1 + normal(rng, Hd, scale=0.1)
    w[emb + "LayerNorm." + ln_names[1]] = normal(rng, Hd, scale=0.1)
    for l in range(L):
        for role, part in block.items():
            name = f"{layer}{l}.{part}"
            is_norm = role in ("ln1", "ln2")
            shape = (Hd,) if is_norm else (I, Hd) if role == "inter" else (Hd, I) if role == "out" else (Hd, Hd)
            w[name + ".weight"] = 1 + normal(rng, Hd, scale=0.1) if is_norm else normal(rng, *shape)
            w[name + ".bias"] = normal(rng, I if role == "inter" else Hd, scale=0.1)
    w[hd_dense + ".weight"], w[hd_dense + ".bias"] = normal(rng, Hd, Hd), normal(rng, Hd, scale=0.1)
    w[hd_norm + ".weight"], w[hd_norm + ".bias"] = 1 + normal(rng, Hd, scale=0.1), normal(rng, Hd, scale=0.1)
    w[hd_bias] = normal(rng, V, scale=0.1)

    model = os.path.join(d, flavour)
    os.mkdir(model)
    json.dump({"model_type": model_type, **config}, open(os.path.join(model, "config.json"), "w"))
    write_safetensors(os.path.join(model, "model.safetensors"), w, bf16={emb + "position_embeddings.weight": pos_bits})
    for folder, name in files:
        shutil.copy(os.path.join(data, "tokenizers", folder, name), model)

    out = os.path.join(d, flavour + ".npy")
    done = subprocess.run([cli, "infer", "--model", model, "--text", text, "--attention-out", out, "--json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["tokens"] == [t.replace("\u0120", "\u2581") for t in expected], result["tokens"]
    ids = result["ids"]

    # The reference, in float64; `allowed`: a substitute for full attention in every layer.
    x64 = {k: v.astype(np.float64) for k, v in w.items()}

    def reference(allowed=None, weights=None):
        positions = np.arange(len(ids)) + first
        x = x64[emb + "word_embeddings.weight"][ids] + x64[emb + "position_embeddings.weight"][positions]
        if T:
            x = x + x64[emb + "token_type_embeddings.weight"][0]
        x = layer_norm(x, x64[emb + "LayerNorm." + ln_names[0]], x64[emb + "LayerNorm." + ln_names[1]], eps)
        attention = []
        for l in range(L):
            # An approximation's draws differ by layer and head: the engine's index is layer * 4,096 + head.
            per_layer = None if weights is None else (lambda q, k, h, l=l: weights(q, k, l * 4096 + h))
            a, x = encoder_block(x, x64, {r: f"{layer}{l}.{p}" for r, p in block.items()}, H, eps, allowed, per_layer)
            attention.append(a)
        t = gelu_erf(x @ x64[hd_dense + ".weight"].T + x64[hd_dense + ".bias"])
        t = layer_norm(t, x64[hd_norm + ".weight"], x64[hd_norm + ".bias"], eps)
        return attention, t @ x64[emb + "word_embeddings.weight"].T + x64[hd_bias]

    attention, logits = reference()
    [masked] = result["predictions"]
    assert masked["position"] == 3, masked
    worst = check(masked["choices"], np.load(out), np.stack(attention), logits, 3)
    assert (np.load(out)[0, 0] > 0).all(), "an encoder's query sees every key"
    # An encoder writes no continuation.
    done = subprocess.run([cli, "infer", "--model", model, "--text", text, "--generate", "3"], capture_output=True,
                          text=True)
    assert done.returncode == 2 and "an encoder writes no continuation" in done.stderr, done.stderr
    # evaluate: a window of radius 1 both ways in place of full attention; the prediction compared is the mask's.
    done = subprocess.run([cli, "evaluate", "--model", model, "--text", text, "--pattern", "window", "-p", "radius=1",
                           "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ev = json.loads(done.stdout)
    n = len(ids)
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    _, windowed = reference(np.abs(i - j) <= 1)
    softmax = lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    p, q = softmax(logits[3]), softmax(windowed[3])
    kl = (p * (np.log(p) - np.log(q))).sum()
    assert ev["positions"] == 1 and ev["kl_max_position"] == 3, ev
    assert kl > 1e-4 and abs(ev["kl_mean"] - kl) < 1e-4, (ev, kl)
    assert ev["top1_agreement"] == float(p.argmax() == q.argmax()) and ev["perplexity"] is None, ev
    assert abs(ev["share_of_cells"] - (3 * n - 2) / n ** 2) < 1e-12, ev
    # evaluate --approx: linear attention and Nystromformer (3 landmarks of 3 tokens each) in place of softmax, against
    # the same float64 pass with their weights; a Nystromformer whose landmarks do not divide n is refused.
    for options, weights in (
            (["--approx", "linear"], lambda q, k, h: linear_weights(q, k, causal=False)),
            (["--approx", "nystrom", "-p", "num_landmarks=3"], lambda q, k, h: nystrom_weights(q, k, 3)),
            (["--approx", "linformer", "-p", "k=4", "-p", "seed=3"], lambda q, k, h: linformer_weights(q, k, 4, 3, h)),
            (["--approx", "performer", "-p", "kernel=relu", "-p", "orthogonal=false", "-p", "nb_features=6", "-p",
              "seed=2"], lambda q, k, h: performer_relu_weights(q, k, 6, 2, h, causal=False))):
        done = subprocess.run([cli, "evaluate", "--model", model, "--text", text, *options, "--json"],
                              capture_output=True, text=True)
        assert done.returncode == 0, (options, done.stderr)
        ev = json.loads(done.stdout)
        _, approximated = reference(weights=weights)
        q = softmax(approximated[3])
        kl = (p * (np.log(p) - np.log(q))).sum()
        assert kl > 1e-5 and abs(ev["kl_mean"] - kl) < 1e-4 * max(1, kl), (options, ev, kl)
    done = subprocess.run([cli, "evaluate", "--model", model, "--text", text, "--approx", "nystrom", "-p",
                           "num_landmarks=4"], capture_output=True, text=True)
    assert done.returncode == 2 and "multiple of num_landmarks = 4" in done.stderr, done.stderr
    # Saved without its masked-LM head, the encoder predicts nothing: the comparisons are null, the drift is measured.
    headless = model + "-headless"
    shutil.copytree(model, headless)
    write_safetensors(os.path.join(headless, "model.safetensors"),
                      {k: v for k, v in w.items() if not k.startswith(hd_dense) and not k.startswith(hd_norm)
                       and k != hd_bias},
                      bf16={emb + "position_embeddings.weight": pos_bits})
    done = subprocess.run([cli, "evaluate", "--model", headless, "--text", text, "--pattern", "window", "-p",
                           "radius=1", "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ev = json.loads(done.stdout)
    assert ev["positions"] == 0 and ev["top1_agreement"] is None and ev["kl_mean"] is None, ev
    assert len(ev["drift_by_layer"]) == L and ev["drift_by_layer"][-1] > 0, ev
    return model, worst


rng = np.random.default_rng(5)
with tempfile.TemporaryDirectory() as d:
    for flavour in FLAVOURS:
        model, worst = run(flavour, d, rng)
        print(f"{flavour} (tiny, random): attention within {worst:.1e} of NumPy's float64 pass; the masked word's p "
              "within 1e-4")
        if flavour == "bert":  # WordPiece's "##" pieces join the word they continue
            done = subprocess.run([cli, "infer", "--model", model, "--text", "unaffable!", "--json"],
                                  capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            pieces = json.loads(done.stdout)
            assert len(pieces["ids"]) > 4 and pieces["words"] == ["[CLS]", "unaffable", "!", "[SEP]"], pieces
