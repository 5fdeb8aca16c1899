"""`invdrift demo`: restore the built-in samples with every quick method whose weights are shipped."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from . import data, metrics, operators
from .checkpoint import default_checkpoints
from .fileio import write_text_atomic
from .figures import labelled_grid, save_png, vstack
from .solvers import registry
from .solvers.base import Context

DEMO_TASKS = {"mnist": ("inpaint_box", "deblur"), "cifar10": ("sr4", "denoise")}


def available_methods(ctx: Context, task: str) -> list[str]:
    """Quick methods for `task` whose shipped weights exist."""
    return [name for name, m in registry.METHODS.items()
            if m.demo and task in m.tasks and all((ctx.checkpoints / f).is_file() for f in m.needs(ctx.dataset))]


def run_demo(out: Path, dataset: str = "mnist", count: int = 8, checkpoints: Path | None = None) -> Path:
    """Restore `count` built-in samples for two tasks; write demo.png and demo.md into `out`."""
    started = time.perf_counter()
    x, _ = data.samples(dataset)
    x = x[:count]
    idx = list(range(count))
    ctx = Context(dataset, None, Path(checkpoints or default_checkpoints()))
    panels, lines = [], [f"# invdrift demo ({dataset}, built-in samples 0–{count - 1})", "",
                         "| task | method | psnr | ssim | consistency |", "|---|---|---|---|---|"]
    for task in DEMO_TASKS[dataset]:
        op = operators.make(task, x.shape[1:]).for_images(idx)
        y = op.measure(x, idx)
        rows = [("truth", x), ("measured (pinv)", op.pinv(y))]
        for name in [m for m in available_methods(ctx, task) if m != "pinv"]:
            with torch.no_grad():
                x_hat = registry.build(name, ctx, op)(y, op).clamp(0, 1)
            p, s, c = (metrics.psnr(x_hat, x).mean().item(), metrics.ssim(x_hat, x).mean().item(),
                       metrics.consistency(x_hat, y, op).mean().item())
            rows.append((f"{name} {p:.1f}dB", x_hat))
            lines.append(f"| {task} | {name} | {p:.2f} | {s:.3f} | {c:.2f} |")
        panels.append(labelled_grid(rows, scale=3, title=f"{task} (noise sigma {op.sigma})"))
    out.mkdir(parents=True, exist_ok=True)
    figure = save_png(vstack(panels), out / "demo.png")
    lines += ["", f"Wall time: {time.perf_counter() - started:.1f} s", ""]
    write_text_atomic(out / "demo.md", "\n".join(lines))
    print("\n".join(lines))
    print(f"figure: {figure}\ntable:  {out / 'demo.md'}")
    return figure
