"""What the spectral diffusion solvers (DDRM, DiffPIR) share: the measurement on the diffusion's scale,
the network's x̂₀ from a variance-exploding iterate, and their common fields."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..operators import Operator
from ..priors.ddpm import EpsModel, Schedule, tweedie


def diffusion_measurement(y: torch.Tensor, op: Operator) -> tuple[torch.Tensor, float]:
    """(y_d, σ_d): y = A((x + 1)/2) + σn on images becomes y_d = 2y − A(1) = A x + 2σn on x ∈ [−1, 1]."""
    ones = torch.ones(y.shape[0], *op.shape, dtype=y.dtype)
    return (2 * y - op.A(ones)) * op.observed(y), 2 * op.sigma


def denoise_ve(model: EpsModel, schedule: Schedule, x_ve: torch.Tensor, t: int) -> torch.Tensor:
    """x̂₀ (clipped to [−1, 1]) from x_ve = x₀ + σ_t ε, evaluated as the model's x_t = √ᾱ_t · x_ve."""
    abar = schedule.alpha_bars[t].item()
    x_t = (abar ** 0.5 * x_ve).float()
    steps = torch.full((len(x_t),), t, dtype=torch.long)
    with torch.no_grad():
        return tweedie(schedule, x_t, steps, model(x_t, steps)).clamp(-1, 1)


@dataclass
class StridedSolver:
    """A DDPM solver with `steps` network evaluations on a strided schedule; called as solver(y, op)."""

    model: EpsModel
    schedule: Schedule
    steps: int = 20
    seed: int = 0

    @property
    def nfe(self) -> int:
        return self.steps
