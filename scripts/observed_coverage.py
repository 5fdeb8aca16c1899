"""Where a sampling restorer's inpainting samples are miscalibrated: range coverage (K = 8) on observed and
hidden pixels, with the observed pixels taken three ways — copied from y, left as the network draws them,
or drawn from their likelihood y + σε (what `posterior_draws` does).

Usage: .venv/bin/python scripts/observed_coverage.py DATA DATASET [KIND] [OPERATORS] [OFFSET] [N]
(KIND: drift-cond, drift-cond-latent or drift-cond-family; OPERATORS separated by ';', default
"inpaint_box;inpaint_random"; default test images 5000–5199, away from the protocol's slice).
"""

import sys

import torch

from invdrift import bench, data, metrics
from invdrift.checkpoint import default_checkpoints
from invdrift.conditioning import keep_observed, pixel_mask
from invdrift.models import load_trained
from invdrift.solvers.generative import posterior_draws

K = 8


def main(data_root: str, dataset: str, kind: str = "drift-cond", operators: str = "inpaint_box;inpaint_random",
         offset: str = "5000", n: str = "200") -> None:
    torch.set_num_threads(1)
    x, _ = data.load_slice(dataset, "test", int(offset), int(n), data_root)
    model, _, label = load_trained(kind, data.models_dataset(dataset), default_checkpoints())
    print(f"{label}, test images {offset}–{int(offset) + int(n) - 1}, K = {K}\n")
    print("| operator | observed pixels | coverage | on observed | on hidden | psnr_1 | psnr_mean |")
    print("|---|---|---|---|---|---|---|")
    for spec in operators.split(";"):
        batch = bench.measure_slice(x, int(offset), spec, 0, len(x))[0]
        with torch.no_grad():
            raw = model.restore(batch.y, batch.op, K, torch.Generator().manual_seed(0))
            drawn = posterior_draws(model, batch.y, batch.op, K, seed=0)  # the same network draws, then y + σε
        observed = pixel_mask(batch.op, len(x)).expand_as(batch.x).bool()
        variants = {"copied from y": keep_observed(raw, batch.y, batch.op), "network's own": raw,
                    "y + σε": drawn}
        for name, draws in variants.items():
            inside = metrics.inside_range(draws, batch.x, torch.Generator().manual_seed(0)).double()
            print(f"| {spec} | {name} | {inside.mean():.3f} | {inside[observed].mean():.3f} | "
                  f"{inside[~observed].mean():.3f} | {metrics.psnr(draws[0].clamp(0, 1), batch.x).mean():.2f} | "
                  f"{metrics.psnr(draws.mean(0).clamp(0, 1), batch.x).mean():.2f} |")


if __name__ == "__main__":
    main(*sys.argv[1:])
