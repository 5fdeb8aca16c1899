"""The attention middle (`--set mid=attention`) of the restorer U-Net: its cost and how far it has grown.

    .venv/bin/python scripts/attention_middle.py [WEIGHTS.safetensors ...]

Prints the forward-pass time of a plain and an attention-middle MNIST restorer (median of 5, batch 256,
2 threads, one run) and their ratio; then, for each weights file, the mean |w| of the added layers' output
weights (the attention's projection, the new ResBlock's last convolution) against the existing middle
ResBlock's last convolution — the added layers start at 0, so this says how far training moved them.
"""

import sys

import torch
from bf16_inference import median_seconds
from safetensors.torch import load_file

from invdrift.models import build_network
from invdrift.train import resolve_config

OUTPUT_WEIGHTS = ("net.mid_attention.proj.weight", "net.mid_out.out_layers.2.weight", "net.mid.out_layers.2.weight")


def forward_times(batch: int = 256) -> dict[str, float]:
    """Median seconds of one forward pass of each middle, on the same random input."""
    torch.set_num_threads(2)
    nets = {mid: build_network("drift-cond", resolve_config("drift-cond", "mnist", {"mid": mid})).eval()
            for mid in ("res", "attention")}
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(batch, 1, 28, 28, generator=generator)
    cond = torch.randn(batch, nets["res"].net.inc.in_channels - 1, 28, 28, generator=generator)
    with torch.no_grad():
        return {mid: median_seconds(lambda net=net: net(noise, cond)) for mid, net in nets.items()}


def main(paths: list[str]) -> None:
    times = forward_times()
    print(f"forward pass, batch 256, 2 threads: res {256 / times['res']:.1f} images/s, attention "
          f"{256 / times['attention']:.1f} images/s, time ratio {times['attention'] / times['res']:.2f}")
    for path in paths:
        weights = load_file(path)
        sizes = ", ".join(f"{name} {weights[name].abs().mean().item():.2g}" for name in OUTPUT_WEIGHTS)
        print(f"{path}: mean |w| {sizes}")


if __name__ == "__main__":
    main(sys.argv[1:])
