"""DDRM (Kawar et al. 2022): denoising diffusion restoration in the operator's spectral coordinates.

With A = U Σ Vᵀ, the iterate x_t = x₀ + σ_t ε (variance exploding, σ_t = √((1 − ᾱ_t)/ᾱ_t)) is updated
per spectral coordinate c = Vᵀx from the network's ĉ₀ and the measurement Uᵀy (noise σ_y):
- Σ = 0 (nothing measured):          c′ = ĉ₀ + σ′·(η ε + √(1 − η²)·(c − ĉ₀)/σ_t)
- σ′·Σ < σ_y (measured, but noisier): c′ = ĉ₀ + σ′·(η ε + √(1 − η²)·(Uᵀy − Σ ĉ₀)/σ_y)
- σ′·Σ ≥ σ_y (measured, cleaner):     c′ = (1 − η_b) ĉ₀ + η_b Uᵀy/Σ + √(σ′² − η_b² σ_y²/Σ²)·ε
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..operators import Operator
from ..priors.ddpm import noise_to_signal, strided_timesteps
from ..progress import progress
from .spectral import StridedSolver, denoise_ve, diffusion_measurement


def ddrm_update(c0: torch.Tensor, c_t: torch.Tensor, uty: torch.Tensor, s: torch.Tensor, sigma_t: float,
                sigma_next: float, sigma_y: float, eta: float, eta_b: float, noise: torch.Tensor) -> torch.Tensor:
    """One DDRM step in spectral coordinates (all tensors broadcast together; see the module docstring)."""
    measured = s > 0
    cleaner = measured & (sigma_next * s >= sigma_y)
    keep = (1 - eta ** 2) ** 0.5
    unmeasured = c0 + sigma_next * (eta * noise + keep * (c_t - c0) / sigma_t)
    noisier = c0 + sigma_next * (eta * noise + keep * (uty - s * c0) / max(sigma_y, 1e-12))
    safe_s = torch.where(measured, s, torch.ones_like(s))
    spread = (sigma_next ** 2 - (eta_b * sigma_y / safe_s) ** 2).clamp_min(0).sqrt()
    cleaner_value = (1 - eta_b) * c0 + eta_b * uty / safe_s + spread * noise
    return torch.where(cleaner, cleaner_value, torch.where(measured, noisier, unmeasured))


def ddrm_start(uty: torch.Tensor, s: torch.Tensor, sigma_T: float, sigma_y: float,
               noise: torch.Tensor) -> torch.Tensor:
    """x_T in spectral coordinates: Uᵀy/Σ plus the missing noise where Σ·σ_T > σ_y, else σ_T ε."""
    cleaner = (s * sigma_T > sigma_y)
    safe_s = torch.where(cleaner, s, torch.ones_like(s))
    spread = (sigma_T ** 2 - (sigma_y / safe_s) ** 2).clamp_min(0).sqrt()
    return torch.where(cleaner, uty / safe_s + spread * noise, sigma_T * noise)


@dataclass
class DDRM(StridedSolver):
    """DDRM: η for the unmeasured and noisier coordinates, η_b for the cleaner ones."""

    eta: float = 0.85
    eta_b: float = 1.0

    def __call__(self, y: torch.Tensor, op: Operator) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        shape = (y.shape[0], *op.shape)
        y_d, sigma_y = diffusion_measurement(y.double(), op)

        def spectral_noise() -> torch.Tensor:
            return op.to_spectral(torch.randn(shape, generator=generator, dtype=torch.float64))

        probe = op.to_spectral(torch.zeros(shape, dtype=torch.float64))
        s = op.singular_values(probe).to(probe.real.dtype)
        uty = op.spectral_measurement(y_d)
        ts = strided_timesteps(self.schedule.T, self.steps)
        c = ddrm_start(uty, s, noise_to_signal(self.schedule, ts[0]), sigma_y, spectral_noise())
        x0 = None
        for i, t in enumerate(progress(ts, "ddrm")):
            sigma_t = noise_to_signal(self.schedule, t)
            sigma_next = noise_to_signal(self.schedule, ts[i + 1]) if i + 1 < len(ts) else 0.0
            x0 = denoise_ve(self.model, self.schedule, op.from_spectral(c), t).double()
            c = ddrm_update(op.to_spectral(x0), c, uty, s, sigma_t, sigma_next, sigma_y, self.eta, self.eta_b,
                            spectral_noise())
        return ((op.from_spectral(c) + 1) / 2).float()
