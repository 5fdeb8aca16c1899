"""What a setting of the family restorer costs: one training step (forward, backward, Adam) and one forward
pass of the MNIST `regression-family` U-Net with its defaults and with the setting, float32, one thread, one run.

    .venv/bin/python scripts/restorer_step_time.py width=64
    .venv/bin/python scripts/restorer_step_time.py sigma_embedding=true

Prints the median seconds of each (5 repeats after a warm-up), the ratio setting / defaults, and the weights.
"""

import json
import sys

import torch
from bf16_inference import median_seconds

from invdrift.models import build_network
from invdrift.train import resolve_config


def step_and_forward(overrides: dict, batch: int = 128) -> tuple[float, float, int]:
    """Median seconds of a training step (batch 128) and of a forward pass (batch 256), and the weights."""
    net = build_network("regression-family", resolve_config("regression-family", "mnist", overrides))
    generator = torch.Generator().manual_seed(0)
    cond = torch.rand(256, net.net.inc.in_channels - 1, 28, 28, generator=generator)
    target = torch.rand(batch, 1, 28, 28, generator=generator)
    optimiser = torch.optim.Adam(net.parameters())

    def step() -> None:
        loss = (net(torch.zeros_like(target), cond[:batch]) - target).pow(2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    step_seconds = median_seconds(step)
    with torch.no_grad():
        forward_seconds = median_seconds(lambda: net(torch.zeros(256, 1, 28, 28), cond))
    return step_seconds, forward_seconds, sum(p.numel() for p in net.parameters())


def main() -> None:
    if len(sys.argv) != 2 or "=" not in sys.argv[1]:
        sys.exit("usage: restorer_step_time.py KEY=VALUE   (a --set of regression-family, e.g. width=64)")
    key, value = sys.argv[1].split("=", 1)
    torch.set_num_threads(1)
    (step0, fwd0, size0), (step1, fwd1, size1) = step_and_forward({}), step_and_forward({key: json.loads(value)})
    print(f"training step, batch 128: defaults {step0:.2f} s, {key}={value} {step1:.2f} s, "
          f"time ratio {step1 / step0:.2f}")
    print(f"forward pass, batch 256: defaults {256 / fwd0:.0f} images/s, {key}={value} {256 / fwd1:.0f} images/s, "
          f"time ratio {fwd1 / fwd0:.2f}")
    print(f"weights: defaults {size0}, {key}={value} {size1}")


if __name__ == "__main__":
    main()
