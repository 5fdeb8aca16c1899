"""One-step generator f(ε): noise vector → image, a small DCGAN-style conv net."""

from __future__ import annotations

import torch
from torch import nn


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, channels // 4), channels)


class UpBlock(nn.Module):
    """×2 nearest upsampling, two 3×3 convs with GroupNorm and SiLU."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.body = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                  nn.Conv2d(c_in, c_out, 3, padding=1), _norm(c_out), nn.SiLU(),
                                  nn.Conv2d(c_out, c_out, 3, padding=1), _norm(c_out), nn.SiLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class Generator(nn.Module):
    """ε [N, noise_dim] → image [N, C, H, W] (about [0, 1]; clamp when displaying)."""

    def __init__(self, channels: int = 1, size: int = 28, noise_dim: int = 64, width: int = 64):
        super().__init__()
        self.noise_dim = noise_dim
        self.base = size // 4
        self.width = width
        self.project = nn.Sequential(nn.Linear(noise_dim, 2 * width * self.base ** 2), nn.SiLU())
        self.up = nn.Sequential(UpBlock(2 * width, width), UpBlock(width, width // 2))
        self.out = nn.Conv2d(width // 2, channels, 3, padding=1)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        h = self.project(noise).view(-1, 2 * self.width, self.base, self.base)
        return self.out(self.up(h)) + 0.5

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images in [0, 1] from standard normal noise."""
        noise = torch.randn(n, self.noise_dim, generator=generator)
        return self(noise).clamp(0, 1)
