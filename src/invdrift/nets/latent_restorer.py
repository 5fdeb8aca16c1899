"""Conditional restorer in the autoencoder latent: z = E(A†y) + g(ε, conditioning), x̂ = D(z)."""

from __future__ import annotations

import torch
from torch import nn

from ..conditioning import condition, condition_channels
from ..operators import Operator
from .autoencoder import Autoencoder
from .unet import ResBlock


class LatentRestorer(nn.Module):
    """One network evaluation (plus the frozen encoder and decoder) per posterior sample."""

    stochastic = True

    def __init__(self, channels: int, latent_channels: int, ae_width: int, width: int = 64):
        super().__init__()
        self.channels, self.latent_channels = channels, latent_channels
        self.cond_encoder = nn.Sequential(
            nn.Conv2d(condition_channels(channels), width // 2, 3, padding=1), ResBlock(width // 2, width // 2),
            nn.Conv2d(width // 2, width, 3, stride=2, padding=1), ResBlock(width, width),
            nn.Conv2d(width, width, 3, stride=2, padding=1))
        self.body = nn.Sequential(ResBlock(width + 2 * latent_channels, width), ResBlock(width, width),
                                  ResBlock(width, width), nn.Conv2d(width, latent_channels, 3, padding=1))
        self.autoencoder = Autoencoder(channels, ae_width, latent_channels).requires_grad_(False)

    def forward(self, noise: torch.Tensor, cond: torch.Tensor, decode: bool = True) -> torch.Tensor:
        """noise [N, latent_channels, h, w], cond = conditioning channels [N, ·, H, W] → image (or latent)."""
        base = self.autoencoder.encode(cond[:, : self.channels])
        latent = base + self.body(torch.cat([self.cond_encoder(cond), base, noise], dim=1))
        return self.autoencoder.decode(latent) if decode else latent

    def restore(self, y: torch.Tensor, op: Operator, samples: int = 1,
                generator: torch.Generator | None = None, noise_scale: float = 1.0) -> torch.Tensor:
        """Posterior samples [samples, N, C, H, W] for measurements y; the input noise is
        noise_scale · ε (1: as trained)."""
        cond = condition(y, op)
        n, _, h, w = cond.shape
        outs = [self(noise_scale * torch.randn(n, self.latent_channels, h // 4, w // 4, generator=generator), cond)
                for _ in range(samples)]
        return torch.stack(outs)
