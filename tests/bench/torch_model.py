#!/usr/bin/env python3
"""The PyTorch baseline for `attnscope-cli bench-model --shape distilroberta`: the same synthetic model (6 layers,
hidden 768, 12 heads, feed-forward 3,072, RoBERTa's embeddings, no masked-LM head; random weights) written as
transformers' eager RobertaModel computes it, every layer's attention probabilities returned as
output_attentions=True returns them, timed with torch.no_grad() on one thread and on two.

A benchmark-only dependency: Debian's python3-torch (scripts/install-deps.sh --bench installs it, with
libopenblas0-pthread, the BLAS it uses for nn.Linear when that is installed). Run:
    /usr/bin/python3 tests/bench/torch_model.py [TOKENS] [REPEAT]
and `attnscope-cli bench-model --shape distilroberta --tokens TOKENS` just before or after, on the same machine.
It prints the best of REPEAT passes at each thread count, in ms and GFLOP/s (the same count bench-model uses).

Each thread count runs in a process of its own, started with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set to it:
OpenBLAS's own threads ignore torch.set_num_threads (left alone, "one thread" ran on two). Twice: once as Debian
leaves it (OpenBLAS's threads beside PyTorch's OpenMP ones, as a user gets it), once with OpenBLAS held to one
thread under PyTorch's (OPENBLAS_NUM_THREADS=1), the better that PyTorch can do here."""
import math
import os
import subprocess
import sys
import time

if len(sys.argv) > 3:  # a child: one thread count, its environment already set
    import torch

n = int(sys.argv[1]) if len(sys.argv) > 1 else 128
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 5
if len(sys.argv) <= 3:
    results = {}
    for openblas in ("same", "1"):
        for threads in (1, 2):
            env = dict(os.environ, OMP_NUM_THREADS=str(threads),
                       OPENBLAS_NUM_THREADS=str(threads) if openblas == "same" else "1")
            out = subprocess.run([sys.executable, __file__, str(n), str(repeat), str(threads)], env=env,
                                 capture_output=True, text=True, check=True).stdout
            results[openblas, threads] = float(out.split()[0])
        label = "OpenBLAS threads = PyTorch's" if openblas == "same" else "OpenBLAS on one thread"
        one, two = results[openblas, 1], results[openblas, 2]
        print(f"{label}: 1 thread {one:.2f} ms, 2 threads {two:.2f} ms ({one / two:.2f}x one thread)")
    gflop = (6 * (2 * n * (4 * 768 * 768 + 2 * 768 * 3072) + 4 * 768 * n * n)) / 1e9
    print(f"{n} tokens, {gflop:.2f} GFLOP a pass: best 1 thread {gflop / min(results[k] for k in results if k[1] == 1) * 1e3:.1f}"
          f" GFLOP/s, best 2 threads {gflop / min(results[k] for k in results if k[1] == 2) * 1e3:.1f} GFLOP/s")
    sys.exit(0)
V, P, H, heads, inner, L = 50265, 514, 768, 12, 3072, 6
hd = H // heads
torch.manual_seed(1)


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (torch.nn.Linear(H, H) for _ in range(4))
        self.ln1, self.ln2 = torch.nn.LayerNorm(H, eps=1e-5), torch.nn.LayerNorm(H, eps=1e-5)
        self.inter, self.out = torch.nn.Linear(H, inner), torch.nn.Linear(inner, H)

    def forward(self, x):
        split = lambda t: t.view(n, heads, hd).transpose(0, 1)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), dim=-1)
        mixed = (p @ v).transpose(0, 1).reshape(n, H)
        a = self.ln1(self.o(mixed) + x)
        return p, self.ln2(self.out(torch.nn.functional.gelu(self.inter(a))) + a)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.words, self.positions = torch.nn.Embedding(V, H), torch.nn.Embedding(P, H)
        self.types, self.ln = torch.nn.Embedding(1, H), torch.nn.LayerNorm(H, eps=1e-5)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(L))

    def forward(self, ids):
        positions = torch.arange(2, n + 2)  # RoBERTa: from padding_idx + 1
        x = self.ln(self.words(ids) + self.positions(positions) + self.types(torch.zeros_like(ids)))
        attentions = []
        for layer in self.layers:
            p, x = layer(x)
            attentions.append(p)
        return x, attentions


model = Model().eval()
ids = torch.tensor([4 + (t * 7919) % (V - 4) for t in range(n)])
torch.set_num_threads(int(sys.argv[3]))
with torch.no_grad():
    model(ids)
    best = 1e300
    for _ in range(repeat):
        start = time.perf_counter()
        model(ids)
        best = min(best, time.perf_counter() - start)
print(f"{best * 1e3:.3f} ms")
