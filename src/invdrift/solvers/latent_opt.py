"""Operator-agnostic restoration through a generator prior: min_z ‖A f(z) − y‖²/2σ² + λ‖z‖² (CSGM-style)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..operators import Operator
from ..progress import progress


def objective(generator, z: torch.Tensor, y: torch.Tensor, op: Operator, lam: float) -> torch.Tensor:
    """Per-sample objective ‖A f(z) − y‖²/2σ² + λ‖z‖² [N]."""
    residual = op.A(generator(z)) - y
    return residual.flatten(1).pow(2).sum(1) / (2 * op.sigma ** 2) + lam * z.pow(2).sum(1)


@dataclass
class LatentOptimiser:
    """Adam on z with `restarts` random starts per image; the best objective wins."""

    generator: torch.nn.Module
    noise_dim: int
    steps: int = 200
    restarts: int = 4
    lr: float = 0.05
    lam: float = 0.5
    seed: int = 0

    @property
    def nfe(self) -> int:
        return 2 * self.steps * self.restarts + self.restarts  # forward + backward per step, final decode

    def __call__(self, y: torch.Tensor, op: Operator) -> torch.Tensor:
        n = y.shape[0]
        g = torch.Generator().manual_seed(self.seed)
        z = torch.randn(self.restarts * n, self.noise_dim, generator=g)
        y_rep = y.repeat(self.restarts, *[1] * (y.ndim - 1))
        op_rep = _repeat_operator(op, self.restarts)
        with torch.enable_grad():
            z.requires_grad_(True)
            opt = torch.optim.Adam([z], lr=self.lr)
            for _ in progress(range(self.steps), "latent optimisation"):
                loss = objective(self.generator, z, y_rep, op_rep, self.lam)
                opt.zero_grad(set_to_none=True)
                loss.sum().backward()
                opt.step()
        with torch.no_grad():
            final = objective(self.generator, z, y_rep, op_rep, self.lam).view(self.restarts, n)
            best = final.argmin(0)
            images = self.generator(z.detach()).view(self.restarts, n, *op.shape)
        return images[best, torch.arange(n)]


def _repeat_operator(op: Operator, times: int) -> Operator:
    """The operator for a batch repeated `times` (per-image masks repeated alike)."""
    mask = getattr(op, "mask", None)
    if mask is not None and mask.shape[0] > 1 and hasattr(op, "with_mask"):
        return op.with_mask(mask.repeat(times, 1, 1, 1))
    return op
