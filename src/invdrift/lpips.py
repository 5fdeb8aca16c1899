"""LPIPS (Zhang et al. 2018) with user-supplied weights: AlexNet features + learned linear heads.

No weights ship with invdrift and none can be downloaded at run time: pass a safetensors file with
`--lpips-weights FILE` or set INVDRIFT_LPIPS. Expected tensor names: `features.{0,3,6,8,10}.{weight,bias}`
(AlexNet convolutions, torchvision layout) and `lin{0..4}.weight` ([1, C, 1, 1] channel weights).
Without weights the metric is reported as missing.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .checkpoint import load_into, load_tensors

CHANNELS = (64, 192, 384, 256, 256)
SHIFT = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
SCALE = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)


class AlexNetFeatures(nn.Module):
    """The five ReLU stages of AlexNet's convolutional part."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU())
        self.taps = (1, 4, 7, 9, 11)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                out.append(x)
        return out


class LPIPS(nn.Module):
    """Distance per image pair of images in [0, 1] (upsampled to 64×64 for AlexNet's receptive field)."""

    def __init__(self):
        super().__init__()
        self.net = AlexNetFeatures()
        for k, c in enumerate(CHANNELS):
            setattr(self, f"lin{k}", nn.Conv2d(c, 1, 1, bias=False))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        def prepare(x):
            x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
            x = F.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False)
            return ((x * 2 - 1) - SHIFT) / SCALE

        total = 0
        for k, (fa, fb) in enumerate(zip(self.net(prepare(a)), self.net(prepare(b)))):
            fa = fa / (fa.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            fb = fb / (fb.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + getattr(self, f"lin{k}")((fa - fb).pow(2)).mean(dim=(1, 2, 3))
        return total


def weights_file(explicit: str | Path | None = None) -> Path | None:
    """The user's LPIPS weights: the explicit path, else $INVDRIFT_LPIPS, else None."""
    path = explicit or os.environ.get("INVDRIFT_LPIPS")
    return Path(path) if path else None


def load_lpips(path: str | Path) -> LPIPS:
    """LPIPS with weights from a safetensors file (clear errors for missing/corrupted/mismatched files)."""
    tensors = load_tensors(path)
    state = {(f"net.{k}" if k.startswith("features.") else k): v for k, v in tensors.items()}
    model = LPIPS()
    load_into(model, state, path)
    return model.eval().requires_grad_(False)


@torch.no_grad()
def lpips_distance(model: LPIPS, x_hat: torch.Tensor, x: torch.Tensor, chunk: int = 250) -> torch.Tensor:
    """Per-image LPIPS between estimates (clipped) and references."""
    return torch.cat([model(a.clamp(0, 1), b) for a, b in zip(x_hat.split(chunk), x.split(chunk))])
