"""A small VGG-style classifier; its penultimate features give the realism metric (fd)."""

from __future__ import annotations

import torch
from torch import nn


def _block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.MaxPool2d(2))


class Classifier(nn.Module):
    """Three conv blocks (width w, 2w, 4w), global average pool, a feature layer, a linear head."""

    def __init__(self, channels: int = 1, width: int = 32, feature_dim: int = 128, classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(_block(channels, width), _block(width, 2 * width), _block(2 * width, 4 * width),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(4 * width, feature_dim), nn.ReLU(inplace=True))
        self.head = nn.Linear(feature_dim, classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features of images in [0, 1]."""
        return self.body(x * 2 - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
