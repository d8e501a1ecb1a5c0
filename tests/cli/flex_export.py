"""What `attnscope-cli export-code` writes, checked against the masks AttnScope builds.

For every family and a handful of parameter sets, the exported FlexAttention mask_mod is evaluated on every
(head, query, key) with plain Python integers (torch hidden, so the tables are bytes) and compared cell for cell
with the mask `attnscope-cli mask` writes; when torch imports, the same file is evaluated again on index tensors, as
FlexAttention calls it. A stack's MASK_MODS are compared layer by layer. The DeepSpeed JSON's arguments are given
back to `mask --layout` and must give the same layout. A fitted model's file (the shipped model's attention,
fitted) is compared head by head with each head's fitted mask. Usage: flex_export.py ATTNSCOPE_CLI [MODEL.bin]
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

CLI = sys.argv[1]
MODEL = sys.argv[2] if len(sys.argv) > 2 else None  # stories260K.bin, for the fitted-model export

CASES = [
    ("full", [], 64),
    ("causal", [], 64),
    ("window", ["radius=3"], 64),
    ("window", ["radius=2", "dilation=3"], 64),
    ("window", ["radius=4", "causal=true"], 64),
    ("window", ["radius=0"], 16),
    ("window", ["radius=3", "dilation=2", "causal=true"], 64),
    ("global", ["tokens=0,5"], 64),
    ("global", ["tokens=none"], 16),
    ("global", ["tokens=1,2,3,4,5,6,7,8,9,40"], 64),
    ("random", ["per_row=3", "seed=2"], 64),
    ("blocks", ["block=8"], 64),
    ("strided", ["stride=5"], 64),
    ("strided", ["stride=4", "causal=false"], 64),
    ("fixed", ["stride=8", "c=2"], 64),
    ("fixed", ["stride=6", "c=3", "causal=false"], 60),
    ("hf-longformer", ["attention_window=6", "global_tokens=0,63"], 64),
    ("hf-longformer", ["attention_window=4", "dilation=2", "global_tokens=none"], 64),
    ("hf-bigbird", ["block_size=4", "num_random_blocks=2", "num_heads=2", "max_position_embeddings=64"], 64),
    ("hf-bigbird", ["block_size=4", "num_random_blocks=1", "mode=eval"], 64),
    ("deepspeed-fixed", ["block=4", "num_heads=4", "different_layout_per_head=true", "num_local_blocks=4",
                         "num_global_blocks=1", "num_different_global_patterns=4"], 72),
    ("deepspeed-fixed", ["block=4", "num_local_blocks=4", "num_global_blocks=2", "attention=unidirectional"], 72),
    ("deepspeed-fixed", ["block=2", "num_heads=2", "different_layout_per_head=true", "num_local_blocks=6",
                         "num_global_blocks=2", "num_different_global_patterns=3", "horizontal_global_attention=true"],
     40),
    ("deepspeed-fixed", ["block=2", "num_heads=3", "different_layout_per_head=true", "num_local_blocks=6",
                         "num_global_blocks=2", "num_different_global_patterns=3", "attention=unidirectional"], 40),
    ("deepspeed-variable", ["block=4", "num_random_blocks=1", "local_window_blocks=2,3", "global_block_indices=0,9",
                            "global_block_end_indices=2,11"], 64),
    ("deepspeed-variable", ["block=4", "num_heads=2", "different_layout_per_head=true", "num_random_blocks=2",
                            "attention=unidirectional", "seed=5"], 64),
    ("deepspeed-bigbird", ["block=4", "num_heads=2", "different_layout_per_head=true"], 64),
    ("deepspeed-bigbird", ["block=4", "attention=unidirectional", "num_global_blocks=2"], 64),
    ("deepspeed-bslongformer", ["block=4", "global_block_indices=0,7"], 64),
    ("deepspeed-bslongformer", ["block=4", "global_block_indices=2,10", "global_block_end_indices=4,30",
                                "attention=unidirectional", "num_sliding_window_blocks=5"], 64),
    ("deepspeed-bslongformer", ["block=2", "global_block_indices=" + ",".join(str(i) for i in range(0, 34, 2))], 64),
    ("deepspeed-local", ["block=4", "num_sliding_window_blocks=5"], 64),
    ("deepspeed-local", ["block=4", "num_sliding_window_blocks=3", "attention=bidirectional"], 64),
    ("lsh", ["buckets=4", "chunk=8"], 64),
    ("topk", ["k=5"], 64),
    ("routing", ["window=8"], 64),
    ("window+global+random", ["radius=2", "tokens=0", "per_row=2"], 64),
    ("strided+global", ["stride=6", "tokens=3"], 48),
    ("blocks+global", ["block=8", "tokens=0,33"], 64),
    ("hf-longformer+global", ["attention_window=4", "global_tokens=1,2,3,4,5,6,7,8,9",
                              "tokens=10,11,12,13,14,15,16,17,18"], 64),
]

# Families exported as arithmetic must not carry a table (a lookup would pass the check trivially); only more than
# eight global tokens become a table of n bits.
ARITHMETIC = {"full", "causal", "window", "global", "blocks", "strided", "fixed", "hf-longformer", "deepspeed-fixed",
              "deepspeed-local"}


def run(*args):
    subprocess.run([CLI, *args], check=True, stdout=subprocess.DEVNULL)


def load(path, name, hide_torch):
    saved = sys.modules.get("torch", "absent")
    if hide_torch:
        sys.modules["torch"] = None  # `import torch` raises ImportError inside the exported file
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        if hide_torch:
            if saved == "absent":
                del sys.modules["torch"]
            else:
                sys.modules["torch"] = saved


def by_integers(mask_mod, heads, n):
    out = np.zeros((heads, n, n), dtype=np.uint8)
    for h in range(heads):
        for q in range(n):
            for k in range(n):
                out[h, q, k] = 1 if bool(mask_mod(0, h, q, k)) else 0
    return out


def by_tensors(mask_mod, heads, n, torch):
    q = torch.arange(n).view(n, 1).expand(n, n)
    k = torch.arange(n).view(1, n).expand(n, n)
    out = np.zeros((heads, n, n), dtype=np.uint8)
    for h in range(heads):
        out[h] = mask_mod(torch.tensor(0), torch.tensor(h), q, k).to(torch.uint8).numpy()
    return out


def torch_or_none():
    try:
        import torch  # noqa: F401
        return torch
    except ImportError:
        return None


def main():
    torch = torch_or_none()
    passed = 0
    with tempfile.TemporaryDirectory() as d:
        for index, (pattern, params, n) in enumerate(CASES):
            p_args = [a for kv in params for a in ("-p", kv)]
            code, mask = os.path.join(d, f"case{index}.py"), os.path.join(d, f"case{index}.npy")
            run("export-code", "--format", "flex", "--pattern", pattern, *p_args, "--n", str(n), "--out", code)
            run("mask", "--pattern", pattern, *p_args, "--n", str(n), "--out", mask)
            expected = np.load(mask)
            text = open(code).read()
            many_tokens = any(kv.split("=")[0].endswith("tokens") and kv.count(",") >= 8 for kv in params)
            if all(member in ARITHMETIC for member in pattern.split("+")) and not many_tokens:
                assert "_table(" not in text.split("def _bit")[1], f"{pattern} {params}: arithmetic expected"
            module = load(code, f"case{index}", hide_torch=True)
            assert module.N == n and module.HEADS == expected.shape[0], (pattern, module.N, module.HEADS)
            got = by_integers(module.mask_mod, expected.shape[0], n)
            bad = np.argwhere(got != expected)
            assert bad.size == 0, f"{pattern} {params} n={n}: {len(bad)} cells differ, first (h, q, k) {bad[0]}"
            if torch is not None:
                module = load(code, f"case{index}t", hide_torch=False)
                got = by_tensors(module.mask_mod, expected.shape[0], n, torch)
                assert (got == expected).all(), f"{pattern} {params}: tensors differ"
            passed += 1

        # A stack: every layer's mask_mod against that layer's mask.
        layers = [("window", ["radius=3", "causal=true"]), ("window", ["radius=3", "causal=true"]),
                  ("causal", []), ("hf-bigbird", ["block_size=4", "num_random_blocks=1", "seed=3"])]
        short = ", ".join(" ".join([p, *kv]) for p, kv in layers)
        code = os.path.join(d, "stack.py")
        run("export-code", "--format", "flex", "--layers", short, "--n", "64", "--out", code)
        module = load(code, "stack", hide_torch=True)
        assert len(module.MASK_MODS) == len(layers)
        assert module.MASK_MODS[0] is module.MASK_MODS[1]
        for layer, (pattern, params) in enumerate(layers):
            mask = os.path.join(d, f"layer{layer}.npy")
            run("mask", "--pattern", pattern, *[a for kv in params for a in ("-p", kv)], "--n", "64", "--out", mask)
            expected = np.load(mask)
            got = by_integers(module.MASK_MODS[layer], expected.shape[0], 64)
            assert (got == expected).all(), f"stack layer {layer} differs"
        passed += 1

        # A fitted model: every head of every layer through its own fit (as `attention --fit` reports it).
        if MODEL:
            dump, code = os.path.join(d, "dump.npz"), os.path.join(d, "fitted.py")
            run("infer", "--model", MODEL, "--text", "Once upon a time, Lily and her dog played in the park.",
                "--attention-out", dump)
            run("export-code", "--fit", dump, "--format", "flex", "--out", code)
            report = json.loads(subprocess.run([CLI, "attention", dump, "--fit", "--json"], check=True,
                                               capture_output=True, text=True).stdout)
            module = load(code, "fitted", hide_torch=True)
            n = module.N
            assert len(module.MASK_MODS) == len(report["fit"])
            for layer, heads in enumerate(report["fit"]):
                got = by_integers(module.MASK_MODS[layer], len(heads), n)
                for head, fit in enumerate(heads):
                    mask = os.path.join(d, "fit.npy")
                    p_args = [a for k, v in fit["params"].items() for a in ("-p", f"{k}={v}")]
                    run("mask", "--pattern", fit["pattern"], *p_args, "--n", str(n), "--out", mask)
                    assert (got[head] == np.load(mask)[0]).all(), f"fitted layer {layer} head {head} differs"
            passed += 1

        # DeepSpeed: the JSON's arguments rebuild the same layout through AttnScope's own DeepSpeed families.
        for pattern, params, n in CASES:
            if not pattern.startswith("deepspeed-"):
                continue
            p_args = [a for kv in params for a in ("-p", kv)]
            exported = os.path.join(d, "ds.json")
            run("export-code", "--format", "deepspeed-json", "--pattern", pattern, *p_args, "--n", str(n),
                "--out", exported)
            doc = json.load(open(exported))
            back = []
            for key, value in doc["args"].items():
                if value is None:
                    value = "none"
                elif isinstance(value, bool):
                    value = "true" if value else "false"
                elif isinstance(value, list):
                    value = ",".join(str(v) for v in value) or "none"
                back += ["-p", f"{key}={value}"]
            if "seed" in doc["attnscope"]:
                back += ["-p", f"seed={doc['attnscope']['seed']}"]
            family = doc["attnscope"]["pattern"]
            first, second = os.path.join(d, "a.npy"), os.path.join(d, "b.npy")
            run("mask", "--pattern", pattern, *p_args, "--n", str(n), "--layout", "--out", first)
            run("mask", "--pattern", family, *back, "--n", str(doc["seq_len"]), "--layout", "--out", second)
            assert (np.load(first) == np.load(second)).all(), f"{pattern} {params}: DeepSpeed round trip differs"
            passed += 1
    print(f"flex_export: {passed} passed, 0 failed" + ("" if torch else " (torch absent: integers only)"))


main()
