"""Why the family-trained restorers lose to returning y itself on nearly noiseless operators: two probes
of the shipped weights on MNIST test images 0–299 (seed 0).

1. The noise-level channel: the same measurements with the per-pixel σ map set to other values. If the
   network read σ at the low end, telling it σ = 0 would bring its estimate towards y.
2. A data-consistency step after the network, x' = argmin ‖A x − y‖² + (σ²/τ²)‖x − x̂‖² (the operator's
   closed-form proximal step; τ the assumed error of x̂): how much of the measurement the network leaves
   unused, and whether one τ serves every noise level.

Usage: .venv/bin/python scripts/low_noise_probe.py DATA prints both tables (PSNR, dB).
"""

import sys

import torch

from invdrift import data
from invdrift.bench import measure_slice
from invdrift.conditioning import condition
from invdrift.metrics import psnr
from invdrift.models import load_trained
from invdrift.solvers.generative import posterior_draws

N = 300
SIGMA_MAP = (0.0, 0.005, 0.02, 0.1, 0.3)
TAUS = (0.01, 0.03, 0.05, 0.1)
PROBED = ("denoise:sigma=0.005", "denoise:sigma=0.02", "denoise:sigma=0.1", "deblur:std=0.8,sigma=0.005",
          "deblur:std=0.8,sigma=0.02", "deblur:std=2.2,sigma=0.07", "sr2:sigma=0.1", "inpaint_box:size=10,sigma=0.05")


def main(data_root: str) -> None:
    torch.set_num_threads(1)
    x, _ = data.load_slice("mnist", "test", 0, N, data_root)
    regression = load_trained("regression-family", "mnist")[0]
    print(f"1. regression-family with the σ map set to s (test images 0–{N - 1}):\n")
    print("| operator | " + " | ".join(f"s = {s:g}" for s in SIGMA_MAP) + " |\n|---|" + "---|" * len(SIGMA_MAP))
    for spec in PROBED[:4]:
        batch = measure_slice(x, 0, spec, 0, N)[0]
        cond = condition(batch.y, batch.op, "operator")
        cells = []
        for s in SIGMA_MAP:
            told = cond.clone()
            told[:, -1] = s
            with torch.no_grad():
                estimate = regression(torch.zeros_like(x), told).clamp(0, 1)
            cells.append(f"{psnr(estimate, batch.x).mean().item():.2f}")
        print(f"| {spec} | " + " | ".join(cells) + " |")
    print(f"\n2. A data-consistency step after the network, assumed error τ:\n")
    print("| operator | method | as shipped | " + " | ".join(f"τ = {t:g}" for t in TAUS) + " |\n|---|---|---|"
          + "---|" * len(TAUS))
    for kind in ("regression-family", "drift-cond-family"):
        model = load_trained(kind, "mnist")[0]
        for spec in PROBED:
            batch = measure_slice(x, 0, spec, 0, N)[0]
            with torch.no_grad():
                estimate = posterior_draws(model, batch.y, batch.op, 1, 0)[0]
            sigma = batch.op.sigma
            cells = [psnr(estimate.clamp(0, 1), batch.x).mean().item()]
            for tau in TAUS:
                step = batch.op.prox(estimate.double(), sigma ** 2 / tau ** 2, batch.y.double()).float()
                cells.append(psnr(step.clamp(0, 1), batch.x).mean().item())
            print(f"| {spec} | {kind} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:2]) if len(sys.argv) == 2 else sys.exit(__doc__)
