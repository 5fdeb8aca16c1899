"""Autoencoder with a spatial latent (7×7×C for 28×28 images, 8×8×C for 32×32) for latent-space drifting.

With `classes` > 0 it also holds a linear class head on the flattened latent: trained jointly, it makes
the encoder a representation (classes linearly separable in the latent), not only a compressor.
"""

from __future__ import annotations

import torch
from torch import nn

from .unet import ResBlock


class Autoencoder(nn.Module):
    """Encoder: two stride-2 convs with residual blocks → latent [N, latent_channels, H/4, W/4]; decoder mirrors it."""

    def __init__(self, channels: int = 1, width: int = 32, latent_channels: int = 4, classes: int = 0,
                 size: int = 28):
        super().__init__()
        w = width
        self.latent_channels = latent_channels
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, w, 3, padding=1), ResBlock(w, w),
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1), ResBlock(2 * w, 2 * w),
            nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1), ResBlock(2 * w, 2 * w),
            nn.GroupNorm(8, 2 * w), nn.SiLU(), nn.Conv2d(2 * w, latent_channels, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(latent_channels, 2 * w, 3, padding=1), ResBlock(2 * w, 2 * w),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(2 * w, w, 3, padding=1), ResBlock(w, w),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(w, w, 3, padding=1), ResBlock(w, w),
            nn.GroupNorm(8, w), nn.SiLU(), nn.Conv2d(w, channels, 3, padding=1))
        self.head = nn.Linear(latent_channels * (size // 4) ** 2, classes) if classes else None

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] → latents."""
        return self.encoder(x * 2 - 1)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latents → images (about [0, 1])."""
        return (self.decoder(z) + 1) / 2

    def classify(self, z: torch.Tensor) -> torch.Tensor:
        """Class logits of latents (only for an autoencoder built with `classes`)."""
        if self.head is None:
            raise ValueError("this autoencoder has no class head")
        return self.head(z.flatten(1))

    def forward(self, x: torch.Tensor, latent_noise: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction, latent); `latent_noise` is added to the latent before decoding (training)."""
        z = self.encode(x)
        return self.decode(z if latent_noise is None else z + latent_noise), z
