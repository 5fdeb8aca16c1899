"""DiffPIR (Zhu et al. 2023): diffusion plug-and-play restoration with the operator's proximal step.

Per step t: x̂₀ = the network's denoised estimate; x̂₀′ = argmin ‖y − A x‖² + ρ_t‖x − x̂₀‖² with
ρ_t = λ σ_y²/σ_t² (σ_t = √((1 − ᾱ_t)/ᾱ_t)); then x_{t′} = √ᾱ_{t′} x̂₀′ + √(1 − ᾱ_{t′})·(√(1 − ζ) ε̂ + √ζ ε)
with ε̂ the noise x_t implies given x̂₀′. The last step returns x̂₀′.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..operators import Operator
from ..priors.ddpm import noise_to_signal, strided_timesteps, tweedie
from ..progress import progress
from .spectral import StridedSolver, diffusion_measurement


def diffpir_renoise(x_t: torch.Tensor, x0: torch.Tensor, abar_t: float, abar_next: float, zeta: float,
                    noise: torch.Tensor) -> torch.Tensor:
    """x_{t′} from x_t and the data-consistent x̂₀′: the implied ε̂ mixed with fresh noise by ζ."""
    eps_hat = (x_t - abar_t ** 0.5 * x0) / (1 - abar_t) ** 0.5
    return abar_next ** 0.5 * x0 + (1 - abar_next) ** 0.5 * ((1 - zeta) ** 0.5 * eps_hat + zeta ** 0.5 * noise)


@dataclass
class DiffPIR(StridedSolver):
    """DiffPIR: λ weighs the proximal step, ζ the fresh noise in each re-noising."""

    lam: float = 7.0
    zeta: float = 0.3

    def __call__(self, y: torch.Tensor, op: Operator) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        shape = (y.shape[0], *op.shape)
        y_d, sigma_y = diffusion_measurement(y, op)
        ts = strided_timesteps(self.schedule.T, self.steps)
        x = torch.randn(shape, generator=generator)
        x0 = x
        for i, t in enumerate(progress(ts, "diffpir")):
            abar = self.schedule.alpha_bars[t].item()
            steps = torch.full((shape[0],), t, dtype=torch.long)
            with torch.no_grad():
                x0 = tweedie(self.schedule, x, steps, self.model(x, steps)).clamp(-1, 1)
            rho = self.lam * sigma_y ** 2 / noise_to_signal(self.schedule, t) ** 2
            x0 = op.prox(x0, max(rho, 1e-12), y_d).clamp(-1, 1)
            if i + 1 == len(ts):
                break
            abar_next = self.schedule.alpha_bars[ts[i + 1]].item()
            x = diffpir_renoise(x, x0, abar, abar_next, self.zeta, torch.randn(shape, generator=generator))
        return (x0 + 1) / 2
