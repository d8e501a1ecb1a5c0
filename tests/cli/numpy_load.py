"""numpy.load reads what attnscope-cli mask writes: the right shape, dtype and cells."""
import os
import subprocess
import sys
import tempfile

import numpy as np

cli = sys.argv[1]
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "m.npy")
    subprocess.run([cli, "mask", "--pattern", "window", "-p", "radius=2", "--n", "16", "--out", path], check=True,
                   stdout=subprocess.DEVNULL)
    m = np.load(path)
    assert m.dtype == np.uint8 and m.shape == (1, 16, 16), (m.dtype, m.shape)
    i, j = np.indices((16, 16))
    assert (m[0] == (abs(i - j) <= 2)).all()
    assert int(m.sum()) == 74

    path = os.path.join(d, "layout.npy")
    subprocess.run([cli, "mask", "--pattern", "deepspeed-fixed", "-p", "num_heads=3", "--n", "128", "--layout",
                    "--out", path], check=True, stdout=subprocess.DEVNULL)
    layout = np.load(path)
    assert layout.shape == (3, 8, 8), layout.shape
    assert layout[2, 0].tolist() == [1, 1, 1, 1, 0, 0, 0, 1]
print("numpy.load: 2 passed, 0 failed")
