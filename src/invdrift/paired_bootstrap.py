"""Paired bootstrap over images for two methods restored on the same images.

PROTOCOL.md v2 calls method A dominated by method B when A has both the lower mean PSNR and the higher fd
on the same images. Both are estimates from a finite set of images (and of one draw per image for a
sampler), so a verdict by a thin margin may not hold on other images. Resampling the images with
replacement, the same indices for A, B and the clean reference, gives the share of resamples in which the
verdict holds: near 1 or near 0 the images resolve it, near ½ they do not. Each image's draw is resampled
with it, so the scatter of a sampler's draws is included.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .metrics import frechet_distance_eigh


@dataclass(frozen=True)
class Bootstrap:
    """The statistics of A and B on each resample of the images."""

    psnr_gap: torch.Tensor  # [draws] mean PSNR of A minus that of B
    fd_a: torch.Tensor  # [draws]
    fd_b: torch.Tensor  # [draws]

    def dominated_share(self) -> float:
        """Share of resamples in which A has the lower PSNR and the higher fd."""
        return ((self.psnr_gap < 0) & (self.fd_a > self.fd_b)).double().mean().item()

    def lower_psnr_share(self) -> float:
        """Share of resamples in which A has the lower PSNR."""
        return (self.psnr_gap < 0).double().mean().item()

    def lower_fd_share(self) -> float:
        """Share of resamples in which A has the lower fd."""
        return (self.fd_a < self.fd_b).double().mean().item()

    def fd_ratio_interval(self, level: float = 0.9) -> tuple[float, float]:
        """The central `level` interval of fd(A) / fd(B) over the resamples."""
        ratio = (self.fd_a / self.fd_b).double()
        tail = (1 - level) / 2
        return torch.quantile(ratio, tail).item(), torch.quantile(ratio, 1 - tail).item()


def paired_bootstrap(psnr_a: torch.Tensor, psnr_b: torch.Tensor, features_a: torch.Tensor,
                     features_b: torch.Tensor, reference: torch.Tensor, draws: int = 1000,
                     seed: int = 0) -> Bootstrap:
    """Resample the N images `draws` times (the same indices for A, B and the clean reference): per-image
    PSNR [N] of A and B, classifier features [N, D] of A's and B's restorations and of the clean images."""
    n = len(psnr_a)
    if not (len(psnr_b) == len(features_a) == len(features_b) == len(reference) == n):
        raise ValueError("A, B and the reference must hold the same images")
    if draws < 1:
        raise ValueError(f"draws {draws}: must be at least 1")
    generator = torch.Generator().manual_seed(seed)
    gap, fd_a, fd_b = [], [], []
    for _ in range(draws):
        idx = torch.randint(n, (n,), generator=generator)
        gap.append((psnr_a[idx].double().mean() - psnr_b[idx].double().mean()).item())
        fd_a.append(frechet_distance_eigh(features_a[idx], reference[idx]))
        fd_b.append(frechet_distance_eigh(features_b[idx], reference[idx]))
    return Bootstrap(*(torch.tensor(values, dtype=torch.float64) for values in (gap, fd_a, fd_b)))
