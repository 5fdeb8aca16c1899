"""Where a trained MNIST restorer's samples miss the clean image: range coverage on background and strokes.

    .venv/bin/python scripts/coverage_where.py DATA CHECKPOINTS [CHECKPOINTS ...]

For each folder's `drift-cond-mnist` weights and each v1 task, on validation test images 5000–5199 with K = 8
samples each (seed 0, drawn as `bench --samples` draws them: `posterior_draws`, whose inpainting samples take
the observed pixels from y + σε): range coverage (`metrics.inside_range`, samples clipped to [0, 1]) over all pixels, on the
background (clean pixel exactly 0), on saturated strokes (≥ 0.99) and on the pixels between; and the share of the
background samples that are exactly 0 after clipping. A calibrated sampler is inside with probability 7/9 = 0.778
everywhere; on a background pixel whose posterior is a point mass at 0, only by drawing exactly 0.
"""

import sys

import torch

from invdrift import bench, data, metrics, operators
from invdrift.models import load_trained
from invdrift.solvers.generative import posterior_draws

OFFSET, N, K = 5000, 200, 8


def main(data_root: str, folders: list[str]) -> None:
    x, _ = data.load_slice("mnist", "test", OFFSET, N, data_root)
    background, stroke = x == 0, x >= 0.99
    between = ~background & ~stroke
    print(f"test images {OFFSET}–{OFFSET + N - 1}: background {background.double().mean():.2f} of the pixels, "
          f"strokes ≥ 0.99 {stroke.double().mean():.2f}")
    print("| weights | task | coverage | on background | on strokes | between | background samples exactly 0 |")
    print("|---|---|---|---|---|---|---|")
    for folder in folders:
        model, _, label = load_trained("drift-cond", "mnist", folder)
        for task in operators.TASKS:
            batch = bench.measure_slice(x, OFFSET, task, 0, N)[0]
            with torch.no_grad():
                draws = posterior_draws(model, batch.y, batch.op, K, seed=0)
            inside = metrics.inside_range(draws, batch.x, torch.Generator().manual_seed(0)).double()
            zero = (draws.clamp(0, 1)[:, background] == 0).double().mean()
            print(f"| {label} | {task} | {inside.mean():.3f} | {inside[background].mean():.3f} | "
                  f"{inside[stroke].mean():.3f} | {inside[between].mean():.3f} | {zero:.3f} |")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
