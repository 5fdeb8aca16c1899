"""Could a noise scale calibrate the one-step sampler? Coverage against s on TRAIN images (PROTOCOL.md v2 tunes
method parameters there only).

For each v1 task and s in SCALES, `KIND:noise_scale=s` on train images 0–N−1 (seed 0, K = 8): one-sample PSNR,
PSNR of the mean of 8, and range coverage (0.778 for a calibrated sampler).

Usage: .venv/bin/python scripts/noise_scale_on_train.py DATA DATASET [KIND] [N]   (default drift-cond, 300)
"""

import sys

import torch

from invdrift import data, operators
from invdrift.bench import draw_metrics, measure_slice
from invdrift.models import load_trained
from invdrift.solvers.generative import posterior_draws

SCALES = (1.0, 1.15, 1.3, 1.5)
K = 8


def main(data_root: str, dataset: str, kind: str = "drift-cond", n: str = "300") -> None:
    torch.set_num_threads(1)
    x, _ = data.load_slice(dataset, "train", 0, int(n), data_root)
    model = load_trained(kind, dataset)[0]
    print(f"{kind} on {dataset} train images 0–{len(x) - 1}: one sample / mean of {K} / range coverage\n")
    print("| task | " + " | ".join(f"s = {s:g}" for s in SCALES) + " |\n|---|" + "---|" * len(SCALES))
    for task in operators.TASKS:
        batch = measure_slice(x, 0, task, 0, len(x))[0]
        cells = []
        for scale in SCALES:
            with torch.no_grad():
                draws = posterior_draws(model, batch.y, batch.op, K, 0, noise_scale=scale)
            got = draw_metrics(draws, x)
            cells.append(f"{got['psnr_1']:.2f} / {got['psnr_mean']:.2f} / {got['range_coverage']:.3f}")
        print(f"| {task} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:]) if 3 <= len(sys.argv) <= 5 else sys.exit(__doc__)
