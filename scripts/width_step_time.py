"""What doubling the family restorer's width costs: one training step (forward, backward, Adam) and one
forward pass of the MNIST `regression-family` U-Net at width 32 and 64, float32, one thread, one run.

    .venv/bin/python scripts/width_step_time.py

Prints the median seconds of each (5 repeats after a warm-up) and the ratio 64 / 32.
"""

import torch
from bf16_inference import median_seconds

from invdrift.models import build_network
from invdrift.train import resolve_config


def step_and_forward(width: int, batch: int = 128) -> tuple[float, float]:
    """Median seconds of a training step (batch 128) and of a forward pass (batch 256) at `width`."""
    net = build_network("regression-family", resolve_config("regression-family", "mnist", {"width": width}))
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
    return step_seconds, forward_seconds


def main() -> None:
    torch.set_num_threads(1)
    (step32, fwd32), (step64, fwd64) = step_and_forward(32), step_and_forward(64)
    print(f"training step, batch 128: width 32 {step32:.2f} s, width 64 {step64:.2f} s, ratio {step64 / step32:.2f}")
    print(f"forward pass, batch 256: width 32 {256 / fwd32:.0f} images/s, width 64 {256 / fwd64:.0f} images/s, "
          f"ratio {fwd64 / fwd32:.2f}")


if __name__ == "__main__":
    main()
