"""Feature maps the drifting kernel compares: raw pixels, multi-scale statistics, encoder activations.

Each function returns a list of tensors [G, N, D] (groups, samples, dimensions); the drift loss is
computed per tensor and summed.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

FeatureFn = Callable[[torch.Tensor], list[torch.Tensor]]


def as_group(flat: torch.Tensor) -> torch.Tensor:
    """[N, D] → one group [1, N, D]."""
    return flat[None]


def patch_vectors(fmap: torch.Tensor, size: int) -> torch.Tensor:
    """Non-overlapping size×size patches as per-location vectors [L, N, C·size²]."""
    n, c, h, w = fmap.shape
    blocks = fmap.reshape(n, c, h // size, size, w // size, size)
    return blocks.permute(2, 4, 0, 1, 3, 5).reshape((h // size) * (w // size), n, c * size * size)


def patch_mean_std(fmap: torch.Tensor, size: int) -> torch.Tensor:
    """Per-channel mean and std over size×size patches, as per-location vectors [L, N, 2C]."""
    mean = F.avg_pool2d(fmap, size)
    var = (F.avg_pool2d(fmap * fmap, size) - mean * mean).clamp_min(0)
    stats = torch.cat([mean, (var + 1e-6).sqrt()], dim=1)  # [N, 2C, h, w]
    return stats.flatten(2).permute(2, 0, 1)


def global_mean_std(fmap: torch.Tensor) -> torch.Tensor:
    """Per-channel mean and std over the whole map [1, N, 2C]."""
    flat = fmap.flatten(2)
    return as_group(torch.cat([flat.mean(-1), (flat.var(-1, unbiased=False) + 1e-6).sqrt()], dim=1))


def pixel_features(x: torch.Tensor) -> list[torch.Tensor]:
    """Whole image, 2× and 4× pooled images, and the vectors of a 4×4 grid of patches."""
    return [as_group(x.flatten(1)),
            as_group(F.avg_pool2d(x, 2).flatten(1)),
            as_group(F.avg_pool2d(x, 4).flatten(1)),
            patch_vectors(x, x.shape[-1] // 4)]


def map_features(fmap: torch.Tensor) -> list[torch.Tensor]:
    """Multi-scale statistics of one feature map: per-location vectors, 2×2 and 4×4 patch stats, global."""
    feats = [fmap.flatten(2).permute(2, 0, 1), global_mean_std(fmap)]
    for size in (2, 4):
        if fmap.shape[-1] >= 2 * size:
            feats.append(patch_mean_std(fmap, size))
    return feats


def coarse_map_features(fmap: torch.Tensor, grid: int = 4) -> list[torch.Tensor]:
    """Statistics of one feature map on at most grid×grid locations, so the kernel cost stays small.

    Per-location vectors only when the map is no larger than the grid; otherwise mean and std over
    patches that tile the map into grid×grid and (grid/2)×(grid/2) cells; plus the global mean and std.
    """
    side = fmap.shape[-1]
    feats = [global_mean_std(fmap)]
    if side <= grid:
        feats.append(fmap.flatten(2).permute(2, 0, 1))
    for cells in (grid, grid // 2):
        if cells >= 1 and side // cells >= 2:
            feats.append(patch_mean_std(fmap, side // cells))
    return feats


def classifier_maps(classifier: torch.nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """The outputs of the classifier's three conv blocks for images x in [0, 1]."""
    maps = []
    h = x * 2 - 1
    for block in list(classifier.body)[:3]:
        h = block(h)
        maps.append(h)
    return maps


def encoder_features(classifier: torch.nn.Module) -> FeatureFn:
    """Pixel features plus multi-scale statistics of a frozen classifier's activations (coarse grids)."""
    def features(x: torch.Tensor) -> list[torch.Tensor]:
        feats = pixel_features(x)
        for fmap in classifier_maps(classifier, x):
            feats += coarse_map_features(fmap)
        return feats
    return features
