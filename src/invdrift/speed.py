"""Speed as a ratio measured in one run: methods timed interleaved on the same inputs.

Restoration methods are timed on the protocol's measurements of test images; `gen:drift`,
`gen:drift-latent`, `gen:ddpm` (1000-step ancestral) and `gen:ddim50` time unconditional generation.
`METHOD@B` times a slow method on a smaller batch B (images/s stays comparable).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from typing import Callable

import torch

from . import bench, data
from .errors import InvdriftError
from .checkpoint import default_checkpoints
from .machine import compute_threads, describe
from .models import load_trained
from .precision import bf16_autocast, warn_if_emulated
from .sampling import generate
from .solvers import registry
from .solvers.base import Context

GENERATORS = {"gen:drift": ("drift", "ancestral"), "gen:drift-latent": ("drift-latent", "ancestral"),
              "gen:ddpm": ("ddpm", "ancestral"), "gen:ddim50": ("ddpm", "ddim50")}


def _runner(name: str, ctx: Context, batch: bench.Batch) -> Callable[[], None]:
    """A call that runs `name` once on the batch (in bf16 if ctx.bf16, as bench --bf16 would)."""
    if name in GENERATORS:
        kind, sampler = GENERATORS[name]
        model, config, _ = load_trained(kind, ctx.dataset, ctx.checkpoints)
        n = len(batch.indices)

        def run() -> None:
            with bf16_autocast(ctx.bf16):
                generate(kind, model, config, n, torch.Generator().manual_seed(0), sampler, batch=n)
        return run
    if name not in registry.METHODS:
        raise InvdriftError(f"unknown method {name!r} (restoration methods, or {', '.join(GENERATORS)})")
    solver = registry.build(name, ctx, batch.op)
    return lambda: solver(batch.y, batch.op)


def _batch_size(spec: str, default: int) -> int:
    """B of 'METHOD@B', else the default batch."""
    if "@" not in spec:
        return default
    try:
        size = int(spec.split("@", 1)[1])
    except ValueError:
        size = 0
    if size < 1:
        raise InvdriftError(f"{spec!r}: the batch after @ must be a positive integer")
    return size


def measure_speed(dataset: str, task: str, methods: list[str], n: int = 256, repeats: int = 3,
                  data_root=None, checkpoints=None, threads: int | None = None, bf16: bool = False) -> list[dict]:
    """Images per second of each method (median over `repeats` interleaved rounds) and ratios to the first.

    `threads`: CPU threads (default $OMP_NUM_THREADS if set, else all cores); the machine string says so.
    `bf16`: each method is also timed with its network evaluations in bfloat16, as 'METHOD bf16'.
    """
    threads = compute_threads(threads)
    torch.set_num_threads(threads)
    sizes = {m: _batch_size(m, n) for m in methods}
    x, _ = data.load_slice(dataset, "test", 0, max(sizes.values()), data_root)
    ctx = Context(dataset, data_root, checkpoints or default_checkpoints())
    contexts = {"": ctx} | ({" bf16": replace(ctx, bf16=True, _cache={})} if bf16 else {})
    runners = {m + suffix: _runner(m.split("@")[0], c, bench.measure_slice(x[:sizes[m]], 0, task, 0, sizes[m])[0])
               for m in methods for suffix, c in contexts.items()}
    warn_if_emulated(bf16)
    sizes = {m + suffix: sizes[m] for m in methods for suffix in contexts}
    methods = list(runners)
    times: dict[str, list[float]] = {m: [] for m in methods}
    with torch.no_grad():
        for run in runners.values():  # warm-up
            run()
        for _ in range(repeats):
            for name, run in runners.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    machine = describe(threads)
    first = sizes[methods[0]] / statistics.median(times[methods[0]])
    out = []
    for name in methods:
        rate = sizes[name] / statistics.median(times[name])
        out.append({"method": name, "images_per_s": rate, "ratio_to_first": rate / first, "n": sizes[name],
                    "repeats": repeats, "machine": machine})
    return out
