"""Does a restorer trained with `--set output_gain=true` use its gain? The per-pixel gain exp(a) it applies to
its residual on A†y, per operator, on MNIST test images 0–199 (seed 0; zero input noise): its mean, minimum
and maximum. A gain that tracked the residual's size would be far under 1 on denoising at σ 0.005 and near 1
in sr4's blur.

Usage: .venv/bin/python scripts/output_gain_probe.py DATA WEIGHTS   (a regression-family or drift-cond-family
weights file with output_gain, its JSON record beside it) prints one line per operator.
"""

import sys

import torch

from invdrift import data
from invdrift.bench import measure_slice
from invdrift.checkpoint import load_model_weights
from invdrift.conditioning import condition
from invdrift.models import build_network

N = 200
PROBED = ("denoise:sigma=0.005", "denoise:sigma=0.1", "deblur:std=0.8,sigma=0.02", "sr4:sigma=0.05",
          "inpaint_box:size=10,sigma=0.05")


def main(data_root: str, weights: str) -> None:
    torch.set_num_threads(1)
    state, config = load_model_weights(weights, ("regression-family", "drift-cond-family"), "mnist")
    if not config.get("output_gain", False):
        sys.exit(f"{weights}: trained without output_gain")
    model = build_network(config["kind"], config).eval()
    model.load_state_dict(state)
    x, _ = data.load_slice("mnist", "test", 0, N, data_root)
    for spec in PROBED:
        batch = measure_slice(x, 0, spec, 0, N)[0]
        cond = condition(batch.y, batch.op, "operator")
        with torch.no_grad():
            gain = model.net(torch.cat([torch.zeros_like(x), cond], 1))[:, 1:].exp()
        residual = (batch.x - cond[:, :1]).pow(2).mean().sqrt()
        print(f"{spec}: gain mean {gain.mean():.3f}, min {gain.min():.3f}, max {gain.max():.3f} "
              f"(residual on A†y, RMS {residual:.4f})")


if __name__ == "__main__":
    main(*sys.argv[1:3]) if len(sys.argv) == 3 else sys.exit(__doc__)
