"""Conditional restorer x̂ = A†y + U-Net(ε, conditioning channels): one network evaluation per sample."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..conditioning import condition, condition_channels
from ..operators import Operator
from .unet import UNet


def input_noise(n: int, channels: int, h: int, w: int, downsample: int = 1,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """The restorer's input noise [n, channels, h, w]: standard normal drawn at (h, w) / `downsample` and
    repeated over `downsample` × `downsample` blocks (1: independent per pixel, the same draw as before)."""
    if h % downsample or w % downsample:
        raise ValueError(f"noise_downsample {downsample} does not divide the image size {h}×{w}")
    noise = torch.randn(n, channels, h // downsample, w // downsample, generator=generator)
    return noise if downsample == 1 else F.interpolate(noise, scale_factor=downsample, mode="nearest")


class Restorer(nn.Module):
    """Predicts a residual on A†y from noise ε and the conditioning channels.

    `stochastic=False` (the regression baseline) feeds zeros instead of noise: same architecture.
    `noise_downsample` r: ε is drawn at 1/r of the image's resolution (`input_noise`).
    """

    def __init__(self, channels: int = 1, width: int = 32, stochastic: bool = True, conditioning: str = "task",
                 mid: str = "res", noise_downsample: int = 1):
        super().__init__()
        self.channels = channels
        self.stochastic = stochastic
        self.noise_downsample = noise_downsample
        self.conditioning = conditioning  # conditioning.CONDITIONINGS
        self.net = UNet(condition_channels(channels, conditioning) + channels, channels, width, mid=mid)

    def forward(self, noise: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if not self.stochastic:
            noise = torch.zeros_like(noise)
        pinv = cond[:, : self.channels]
        return pinv + self.net(torch.cat([noise, cond], dim=1))

    def restore(self, y: torch.Tensor, op: Operator, samples: int = 1,
                generator: torch.Generator | None = None, noise_scale: float = 1.0) -> torch.Tensor:
        """Posterior samples [samples, N, C, H, W] for measurements y; the input noise is
        noise_scale · ε (1: as trained)."""
        cond = condition(y, op, self.conditioning)
        n, _, h, w = cond.shape
        outs = []
        for _ in range(samples):
            noise = noise_scale * input_noise(n, self.channels, h, w, self.noise_downsample, generator)
            outs.append(self(noise, cond))
        return torch.stack(outs)
