"""One-step generator in an autoencoder's latent space: ε → latent → frozen decoder → image."""

from __future__ import annotations

import torch
from torch import nn

from .autoencoder import Autoencoder
from .unet import ResBlock


class LatentCore(nn.Module):
    """ε [N, noise_dim] → latent [N, latent_channels, size, size] (any size; no upsampling)."""

    def __init__(self, latent_channels: int, size: int, noise_dim: int = 64, width: int = 64):
        super().__init__()
        self.size, self.width = size, width
        self.project = nn.Sequential(nn.Linear(noise_dim, width * size * size), nn.SiLU())
        self.body = nn.Sequential(ResBlock(width, width), ResBlock(width, width))
        self.out = nn.Conv2d(width, latent_channels, 3, padding=1)

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(self.project(noise).view(-1, self.width, self.size, self.size)))


class LatentGenerator(nn.Module):
    """f(ε) = decode(core(ε)); the decoder is a frozen copy of the project's autoencoder decoder.

    Calling the module gives images (so latent optimisation and sampling treat it like the pixel
    generator); with decode=False it gives the latent the drifting loss is computed on.
    """

    def __init__(self, channels: int, size: int, latent_channels: int, ae_width: int, noise_dim: int = 64,
                 width: int = 64):
        super().__init__()
        self.noise_dim = noise_dim
        self.core = LatentCore(latent_channels, size // 4, noise_dim, width)
        self.autoencoder = Autoencoder(channels, ae_width, latent_channels).requires_grad_(False)

    def forward(self, noise: torch.Tensor, decode: bool = True) -> torch.Tensor:
        latent = self.core(noise)
        return self.autoencoder.decode(latent) if decode else latent

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images in [0, 1] from standard normal noise (one core and one decoder evaluation)."""
        return self(torch.randn(n, self.noise_dim, generator=generator)).clamp(0, 1)
