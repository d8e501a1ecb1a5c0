#!/usr/bin/env python3
"""Writes resources/examples/synthetic-attention.npz and its tokens: SYNTHETIC attention weights, not a model's.

Four layers of five causal heads over 64 tokens, each head with one clear behaviour, so that the `attention` command
and the app have something to show without a model: head 0 mostly on the diagonal, head 1 on the previous token,
head 2 a first-token sink, head 3 blocks of 8 tokens, head 4 broad (nearly uniform over earlier tokens). A little
seeded noise differs between layers. float16, one array per layer (layer_0 … layer_3), as np.savez writes them.
Run from the repository's root: python3 scripts/make-synthetic-attention.py
"""
import os

import numpy as np

LAYERS, HEADS, N = 4, 5, 64
rng = np.random.default_rng(2026)
i, j = np.indices((N, N))
causal = j <= i


def rows(logits):
    logits = np.where(causal, logits, -np.inf)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    return w / w.sum(axis=1, keepdims=True)


layers = []
for layer in range(LAYERS):
    noise = lambda: rng.normal(scale=0.3, size=(N, N))
    heads = [
        rows(np.where(i == j, 4.0, 0.0) + noise()),                 # diagonal
        rows(np.where(j == i - 1, 6.0, 0.0) + noise()),             # previous token
        rows(np.where(j == 0, 5.0, 0.0) + noise()),                 # first-token sink
        rows(np.where(i // 8 == j // 8, 4.0, 0.0) + noise()),       # blocks of 8
        rows(0.3 * noise()),                                         # broad
    ]
    layers.append(np.stack(heads).astype(np.float16))

out = os.path.join("resources", "examples")
os.makedirs(out, exist_ok=True)
np.savez(os.path.join(out, "synthetic-attention.npz"), **{f"layer_{l}": a for l, a in enumerate(layers)})
words = ("synthetic example : these weights come from a script , not from a model . " * 8).split()[:N]
with open(os.path.join(out, "synthetic-attention-tokens.txt"), "w") as f:
    f.write("\n".join(words) + "\n")
print(f"wrote {out}/synthetic-attention.npz ({LAYERS} layers x {HEADS} heads x {N}^2, float16) and its tokens")
