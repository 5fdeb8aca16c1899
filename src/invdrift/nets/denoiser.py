"""The DDPM noise-prediction network: the project's U-Net with a sinusoidal time embedding."""

from __future__ import annotations

import math

import torch
from torch import nn

from .unet import UNet


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding [N, dim] of integer steps."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], dim=1)


class Denoiser(nn.Module):
    """ε̂(x_t, t) for x_t in the diffusion's [−1, 1] scale."""

    def __init__(self, channels: int = 1, width: int = 32):
        super().__init__()
        self.emb_dim = 4 * width
        self.time = nn.Sequential(nn.Linear(width, self.emb_dim), nn.SiLU(), nn.Linear(self.emb_dim, self.emb_dim))
        self.width = width
        self.net = UNet(channels, channels, width, emb_dim=self.emb_dim)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(x_t, self.time(timestep_embedding(t, self.width).to(x_t.dtype)))
