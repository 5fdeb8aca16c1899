"""Conditional restorer x̂ = A†y + U-Net(ε, conditioning channels): one network evaluation per sample."""

from __future__ import annotations

import torch
from torch import nn

from ..conditioning import condition, condition_channels
from ..operators import Operator
from .unet import UNet


class Restorer(nn.Module):
    """Predicts a residual on A†y from noise ε and the conditioning channels.

    `stochastic=False` (the regression baseline) feeds zeros instead of noise: same architecture.
    """

    def __init__(self, channels: int = 1, width: int = 32, stochastic: bool = True, conditioning: str = "task",
                 mid: str = "res"):
        super().__init__()
        self.channels = channels
        self.stochastic = stochastic
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
            noise = noise_scale * torch.randn(n, self.channels, h, w, generator=generator)
            outs.append(self(noise, cond))
        return torch.stack(outs)
