"""The protocol runner: every (dataset, task, method) on one test slice → results.csv/json/md."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from . import data, kept_outputs, metrics, operators
from .errors import InvdriftError
from .fileio import exclusive_lock, write_text_atomic
from .machine import compute_threads, describe
from .operator_params import split_task
from .precision import warn_if_emulated
from .realism import fd_for
from .solvers import registry
from .solvers.base import Context

COLUMNS = ("dataset", "task", "method", "n", "psnr", "psnr_se", "ssim", "mse", "consistency", "fd",
           "lpips", "nfe", "s_per_image", "images_per_s", "samples", "psnr_1", "psnr_mean", "range_coverage",
           "sample_std", "spread_skill", "checkpoint", "machine", "operator", "in_training", "precision")
MARKDOWN_HIDDEN = ("machine", "operator", "precision")  # in the CSV/JSON only (the task column names moved parameters)
POSTERIOR_COLUMNS = ("samples", "psnr_1", "psnr_mean", "range_coverage", "sample_std", "spread_skill")
KEY = ("dataset", "task", "method")


@dataclass
class Batch:
    """One batch of the evaluation slice with its measurement and bound operator."""

    indices: list[int]
    x: torch.Tensor
    y: torch.Tensor
    op: operators.Operator


def measure_slice(x: torch.Tensor, offset: int, task: str, seed: int, batch_size: int) -> list[Batch]:
    """Measurements of the slice, batched; image k of the slice has protocol index offset + k."""
    op = operators.make(task, x.shape[1:])
    batches = []
    for start in range(0, len(x), batch_size):
        idx = list(range(offset + start, offset + min(start + batch_size, len(x))))
        xb = x[start:start + len(idx)]
        bound = op.for_images(idx, seed)
        batches.append(Batch(idx, xb, bound.measure(xb, idx, seed), bound))
    return batches


def run_method(solver, batches: list[Batch], progress: str | None = None,
               threads: int | None = None) -> tuple[torch.Tensor, float]:
    """Restore every batch; returns the estimates and the wall time after one warm-up batch."""
    torch.set_num_threads(compute_threads(threads))
    first = batches[0]
    warm = min(8, len(first.indices))
    outputs = []
    with torch.no_grad():  # gradient-based solvers enable gradients themselves
        solver(first.y[:warm], first.op.select(slice(0, warm)))
        start = time.perf_counter()
        for batch in tqdm(batches, desc=progress, disable=progress is None, leave=False):
            outputs.append(solver(batch.y, batch.op))
    elapsed = time.perf_counter() - start
    return torch.cat(outputs), elapsed


def score(x_hat: torch.Tensor, batches: list[Batch]) -> dict[str, torch.Tensor]:
    """Per-image metrics of the estimates against the slice."""
    x = torch.cat([b.x for b in batches])
    parts = []
    start = 0
    for b in batches:
        parts.append(metrics.consistency(x_hat[start:start + len(b.x)], b.y, b.op))
        start += len(b.x)
    return {"psnr": metrics.psnr(x_hat, x), "ssim": metrics.ssim(x_hat, x),
            "mse": metrics.mse(x_hat, x), "consistency": torch.cat(parts)}


def posterior_metrics(solver, batches: list[Batch], k: int, seed: int, progress: str | None = None,
                      first: torch.Tensor | None = None) -> dict:
    """psnr_1, psnr_mean, range_coverage and sample_std of K draws per image (protocol v2) and their
    spread–skill ratio; `first`, the solver's unclamped estimates of the slice (its draw 0), spares
    drawing them again."""
    x = torch.cat([b.x for b in batches])
    start = 0 if first is None else 1
    with torch.no_grad():
        draws = torch.cat([solver.sample(b.y, b.op, k, start) for b in tqdm(batches, desc=progress,
                                                                          disable=progress is None, leave=False)],
                          dim=1)
    if first is not None:
        draws = torch.cat([first.unsqueeze(0), draws])
    return draw_metrics(draws, x, seed)


def draw_metrics(draws: torch.Tensor, x: torch.Tensor, seed: int = 0) -> dict:
    """The posterior columns of K unclamped draws [K, N, ...] of the images x [N, ...] (protocol v2): samples,
    psnr_1, psnr_mean (of the draws' mean), range_coverage (ties broken with `seed`), sample_std, spread_skill."""
    ties = torch.Generator().manual_seed(seed)
    return {"samples": len(draws),
            "psnr_1": metrics.mean_and_se(metrics.psnr(draws[0], x))[0],
            "psnr_mean": metrics.mean_and_se(metrics.psnr(draws.mean(0), x))[0],
            "range_coverage": metrics.mean_and_se(metrics.range_coverage(draws, x, ties))[0],
            "sample_std": metrics.mean_and_se(metrics.sample_std(draws))[0],
            "spread_skill": metrics.spread_skill(*metrics.spread_and_error(draws, x), len(draws))}


def _fmt(value) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"
    return str(value)


def to_markdown(rows: list[dict]) -> str:
    """The results table as Markdown."""
    sampled = any("psnr_1" in row for row in rows)
    cols = [c for c in COLUMNS if c not in MARKDOWN_HIDDEN and (sampled or c not in POSTERIOR_COLUMNS)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        lines.append("| " + " | ".join("" if c in POSTERIOR_COLUMNS and c not in row else _fmt(row.get(c))
                                       for c in cols) + " |")
    machines = sorted({r.get("machine", "") for r in rows})
    return "\n".join(lines) + "\n\nMachine: " + "; ".join(machines) + "\n"


def load_rows(out: Path) -> list[dict]:
    """The rows of out/results.json; rows written before operators had parameters get their v1 `operator`."""
    path = out / "results.json"
    if not path.is_file():
        return []
    try:
        rows = json.loads(path.read_text())["rows"]
    except (ValueError, KeyError) as exc:
        raise InvdriftError(f"{path}: not a results file ({exc})") from None
    for row in rows:
        if "operator" not in row and row.get("dataset") in data.SHAPES:
            row["operator"] = operators.make(row["task"], data.SHAPES[row["dataset"]]).spec
    return rows


def task_order(task: str) -> tuple[int, str]:
    """v1 task order, then the parameters: 'deblur' before 'deblur:std=2'."""
    base = task.partition(":")[0]
    return (operators.TASKS.index(base) if base in operators.TASKS else 99, task)


def write_results(out: Path, rows: list[dict], meta: dict) -> None:
    """Merge rows into out/results.{csv,json,md} (same dataset, task, method → replaced), atomically;
    benches writing to the same folder side by side wait for each other instead of losing rows."""
    with exclusive_lock(Path(out) / "results.json"):
        _write_merged(out, rows, meta)


def _write_merged(out: Path, rows: list[dict], meta: dict) -> None:
    merged = {tuple(r[k] for k in KEY): r for r in load_rows(out)}
    for row in rows:
        merged[tuple(row[k] for k in KEY)] = row
    method_order = {m: i for i, m in enumerate(registry.METHODS)}
    all_rows = sorted(merged.values(), key=lambda r: (r["dataset"], task_order(r["task"]),
                                                       method_order.get(r["method"].split(":")[0], 99),
                                                       r["method"]))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in all_rows:
        writer.writerow({c: "" if c in POSTERIOR_COLUMNS and c not in row
                         else _fmt(row.get(c)) if row.get(c) is None else row.get(c) for c in COLUMNS})
    write_text_atomic(out / "results.csv", buffer.getvalue())
    write_text_atomic(out / "results.json", json.dumps({"meta": meta, "rows": all_rows}, indent=1))
    write_text_atomic(out / "results.md", to_markdown(all_rows))


def merge(out: Path, sources: list[Path]) -> int:
    """Merge the rows of other results folders (e.g. benches run side by side) into `out`; returns their count."""
    rows = []
    for source in sources:
        found = load_rows(Path(source))
        if not found:
            raise InvdriftError(f"no results in {source}")
        rows += found
    write_results(Path(out), rows, {"protocol": "v1", "merged_from": [str(s) for s in sources]})
    return len(rows)


def perceptual(x_hat: torch.Tensor, x: torch.Tensor, model) -> float | None:
    """Mean LPIPS, or None (reported as missing) without user-supplied weights."""
    if model is None:
        return None
    from .lpips import lpips_distance

    return lpips_distance(model, x_hat, x).mean().item()


def bench(datasets: list[str], tasks: list[str], methods: list[str], n: int = 1000, offset: int = 0,
          seed: int = 0, out: Path = Path("results"), data_root=None, batch_size: int = 256,
          checkpoints: Path = Path("checkpoints"), progress: bool = True, lpips_weights=None,
          threads: int | None = None, samples: int = 0, bf16: bool = False,
          skip_missing: bool = False, keep_outputs: Path | None = None) -> list[dict]:
    """Run the protocol and write the results; returns the new rows.

    With `samples` K ≥ 2, methods that sample a posterior also get the posterior columns from K draws.

    Timings use all cores (the protocol's rule) unless `threads` asks for fewer; the row's machine says so.
    With `bf16` the DDPM methods and the trained restorers evaluate their networks in bfloat16; each row records its `precision`.
    With `skip_missing` (methods named through a group), a method whose weights are not shipped for a
    dataset is skipped with a note instead of stopping the run.
    With `keep_outputs` each row's estimates are also written there (kept_outputs.py).
    """
    from .lpips import load_lpips, weights_file

    lpips_path = weights_file(lpips_weights)
    lpips_model = load_lpips(lpips_path) if lpips_path else None
    if samples == 1 or samples < 0:
        raise InvdriftError(f"--samples must be 0 (off) or at least 2, got {samples}")
    if keep_outputs is not None and Path(keep_outputs).exists() and not Path(keep_outputs).is_dir():
        raise InvdriftError(f"--keep-outputs {keep_outputs} is a file: give a folder")
    for name in datasets:
        if name not in data.SHAPES:
            raise InvdriftError(f"unknown dataset {name!r}: use one of {', '.join(data.SHAPES)}")
        for task in tasks:
            operators.make(task, data.SHAPES[name])  # unknown tasks, keys and out-of-range values fail here
    pairs = [(t, m) for t in tasks for m in methods if split_task(t)[0] in registry.method_of(m).tasks]
    if not pairs:
        raise InvdriftError(f"none of {', '.join(methods)} applies to {', '.join(tasks)}")
    warn_if_emulated(bf16)
    threads = compute_threads(threads)
    machine = describe(threads)
    rows = []
    for name in datasets:
        x, _ = data.load_slice(name, "test", offset, n, data_root)
        ctx = Context(data.models_dataset(name), data_root, Path(checkpoints), seed, bf16=bf16)
        for task in tasks:
            batches = measure_slice(x, offset, task, seed, batch_size)
            for method in [m for t, m in pairs if t == task]:
                missing = [f for f in registry.method_of(method).needs(ctx.dataset)
                           if not (Path(checkpoints) / f).is_file()]
                if missing and skip_missing:
                    print(f"{name} {task} {method}: skipped, no {', '.join(missing)} in {checkpoints}", flush=True)
                    continue
                solver = registry.build(method, ctx, batches[0].op)
                label = f"{name} {task} {method}" if progress else None
                raw, elapsed = run_method(solver, batches, label, threads)
                x_hat = raw.clamp(0, 1)
                per_image = score(x_hat, batches)
                op = batches[0].op
                row = {"dataset": name, "task": op.name, "method": method, "n": n, "offset": offset,
                       "seed": seed, "batch_size": batch_size, "operator": op.spec}  # samplers' draws follow the batch
                row["psnr"], row["psnr_se"] = metrics.mean_and_se(per_image["psnr"])
                for key in ("ssim", "mse", "consistency"):
                    row[key] = metrics.mean_and_se(per_image[key])[0]
                row["fd"] = fd_for(ctx.dataset, x_hat, x, ctx)
                row["lpips"] = perceptual(x_hat, x, lpips_model)
                row["nfe"] = solver.nfe
                row["s_per_image"] = elapsed / n
                row["images_per_s"] = n / elapsed if elapsed > 0 else float("inf")
                row["checkpoint"] = solver.checkpoint
                row["machine"] = machine
                row["precision"] = solver.precision
                if solver.trained_on is not None:
                    row["in_training"] = "yes" if solver.trained_on(op) else "no"
                if samples >= 2 and solver.draws is not None:
                    row |= posterior_metrics(solver, batches, samples, seed,
                                             f"{label} ×{samples} samples" if label else None, first=raw)
                rows.append(row)
                if keep_outputs is not None:
                    kept_outputs.keep(keep_outputs, name, op.spec, method, x_hat,
                                      [i for b in batches for i in b.indices])
                if progress:
                    print(f"{name:8s} {task:15s} {method:10s} psnr {row['psnr']:6.2f} ± {row['psnr_se']:.2f}  "
                          f"ssim {row['ssim']:.3f}  cons {row['consistency']:.3f}  "
                          f"{row['images_per_s']:.1f} img/s" + (
                              f"  psnr_1 {row['psnr_1']:.2f} psnr_mean {row['psnr_mean']:.2f} "
                              f"coverage {row['range_coverage']:.3f} std {row['sample_std']:.4f}"
                              if "psnr_1" in row else ""), flush=True)
    meta = {"protocol": "v1", "n": n, "offset": offset, "seed": seed, "machine": machine}
    write_results(Path(out), rows, meta)
    return rows
