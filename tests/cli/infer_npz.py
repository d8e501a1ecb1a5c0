"""attnscope-cli infer writes what numpy reads: the .npz of every layer's attention loads with np.load, each member
[heads, n, n] float32, every row a distribution over the keys up to its query (causal), and the .npy holds the same
numbers as [layers, heads, n, n]."""
import os
import subprocess
import sys
import tempfile

import numpy as np

cli, stories = sys.argv[1], sys.argv[2]
model = os.path.join(stories, "stories260K.bin")
with tempfile.TemporaryDirectory() as d:
    npz, npy = os.path.join(d, "a.npz"), os.path.join(d, "a.npy")
    for out in (npz, npy):
        subprocess.run([cli, "infer", "--model", model, "--text", "The cat sat on the mat.", "--attention-out", out],
                       check=True, capture_output=True)
    archive = np.load(npz)
    names = sorted(archive.files, key=lambda s: int(s.split("_")[1]))
    assert names == [f"layer_{l}" for l in range(5)], names
    stacked = np.load(npy)
    assert stacked.dtype == np.float32 and stacked.ndim == 4 and stacked.shape[:2] == (5, 8), stacked.shape
    n = stacked.shape[2]
    for l, name in enumerate(names):
        a = archive[name]
        assert a.dtype == np.float32 and a.shape == (8, n, n), (name, a.dtype, a.shape)
        assert np.array_equal(a, stacked[l]), name
        assert np.allclose(a.sum(axis=2), 1.0, atol=1e-5), name
        assert np.all(np.triu(a, k=1) == 0), name
print("infer's attention dump loads in numpy: 5 layers × 8 heads ×", n, "×", n)
