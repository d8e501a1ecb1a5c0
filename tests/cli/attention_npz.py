"""attnscope-cli attention reads what numpy writes: an np.savez archive of float16 layers shaped as Hugging Face
returns them ([1, heads, n, n] each, named layer_0 … layer_10 so that natural order matters), and its figures match
numpy's own."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

cli = sys.argv[1]
rng = np.random.default_rng(7)
layers, heads, n = 11, 2, 32
dump = np.zeros((layers, heads, n, n), dtype=np.float64)
causal = np.tril(np.ones((n, n), dtype=bool))
for layer in range(layers):
    # head 0: the previous token; head 1: a causal softmax of random logits, sharper in later layers
    for i in range(n):
        dump[layer, 0, i, max(0, i - 1)] = 1.0
    logits = rng.normal(size=(n, n)) * (1 + layer / 4)
    logits[~causal] = -np.inf
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    dump[layer, 1] = w / w.sum(axis=1, keepdims=True)
half = dump.astype(np.float16)

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "attentions.npz")
    np.savez(path, **{f"layer_{l}": half[l][None] for l in range(layers)})
    out = subprocess.run([cli, "attention", path, "--pattern", "window", "-p", "radius=2", "-p", "causal=true",
                          "--json"], check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    assert (r["layers"], r["heads"], r["n"]) == (layers, heads, n), r
    w = half.astype(np.float64)
    entropy = -(np.where(w > 0, w * np.log(np.where(w > 0, w, 1)), 0)).sum(axis=3).mean(axis=2)
    assert np.allclose(np.array(r["entropy"]), entropy, atol=1e-5), (r["entropy"][10], entropy[10])
    i, j = np.indices((n, n))
    window = (j <= i) & (j >= i - 2)
    kept = (w * window).sum(axis=3).mean(axis=2)
    assert np.allclose(np.array(r["mass_kept"]), kept, atol=1e-5), (r["mass_kept"][10], kept[10])
    assert all(role == "previous-token" for role in np.array(r["role"])[:, 0]), r["role"]
    assert r["density"][0][0] == window.sum() / n**2

    # The rollout (Abnar and Zuidema 2020): heads averaged, 0.5·A + 0.5·I, rows renormalised, layers multiplied.
    out_path = os.path.join(d, "rollout.npy")
    subprocess.run([cli, "attention", os.path.join(d, "attentions.npz"), "--rollout-out", out_path], check=True,
                   stdout=subprocess.DEVNULL)
    rollout = None
    for layer in range(layers):
        a = 0.5 * w[layer].mean(axis=0) + 0.5 * np.eye(n)
        a /= a.sum(axis=1, keepdims=True)
        rollout = a if rollout is None else a @ rollout
    got = np.load(out_path)
    assert got.dtype == np.float32 and got.shape == (n, n), (got.dtype, got.shape)
    assert np.abs(got - rollout).max() < 1e-5, np.abs(got - rollout).max()

    # --fit: the previous-token head is fitted by a causal window of radius 1 in every layer, keeping all its mass.
    out = subprocess.run([cli, "attention", os.path.join(d, "attentions.npz"), "--fit", "--keep", "0.95", "--json"],
                         check=True, capture_output=True, text=True).stdout
    fit = json.loads(out)["fit"]
    assert len(fit) == layers and len(fit[0]) == heads, fit
    for layer in range(layers):
        f = fit[layer][0]
        assert (f["pattern"], f["params"]) == ("window", {"radius": "1", "causal": "true"}), f
        assert f["cells"] == 2 * n - 1 and abs(f["mass_kept"] - 1) < 1e-3, f

    # np.savez_compressed is refused in one line, exit 2.
    path = os.path.join(d, "compressed.npz")
    np.savez_compressed(path, layer_0=half[0])
    p = subprocess.run([cli, "attention", path], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "np.savez_compressed" in p.stderr, p.stderr
print("attention .npz from numpy: 4 passed, 0 failed")
