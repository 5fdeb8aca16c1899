"""DDPM (variance preserving, T = 1000, linear β 1e-4 → 0.02): schedule, Tweedie, samplers.

Images live in [−1, 1] inside the diffusion (x = 2·image − 1); `eps_model(x_t, t)` predicts the noise,
and the score is s(x_t, t) = −ε̂ / √(1 − ᾱ_t).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..progress import progress

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Schedule:
    """β_t, α_t = 1 − β_t and ᾱ_t = Π α_s for t = 0 … T−1 (float64)."""

    betas: torch.Tensor

    @staticmethod
    def linear(steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> "Schedule":
        return Schedule(torch.linspace(beta_start, beta_end, steps, dtype=torch.float64))

    @property
    def T(self) -> int:
        return len(self.betas)

    @property
    def alphas(self) -> torch.Tensor:
        return 1 - self.betas

    @property
    def alpha_bars(self) -> torch.Tensor:
        return torch.cumprod(self.alphas, 0)

    def abar(self, t: torch.Tensor) -> torch.Tensor:
        """ᾱ_t broadcast to images [N, 1, 1, 1] (float32)."""
        return self.alpha_bars[t].float().view(-1, 1, 1, 1)

    def t_for_noise(self, sigma: float) -> int:
        """The step whose noise-to-signal ratio √((1 − ᾱ)/ᾱ) is closest to `sigma`."""
        ratio = ((1 - self.alpha_bars) / self.alpha_bars).sqrt()
        return int((ratio - sigma).abs().argmin())


def strided_timesteps(T: int, steps: int) -> list[int]:
    """`steps` timesteps evenly spaced from T − 1 down to 0 (rounded), as DDIM and the fast solvers use."""
    return torch.linspace(T - 1, 0, steps).round().long().tolist()


def noise_to_signal(schedule: Schedule, t: int) -> float:
    """σ_t = √((1 − ᾱ_t)/ᾱ_t): the noise level of x_t/√ᾱ_t around x₀ (diffusion scale [−1, 1])."""
    abar = schedule.alpha_bars[t].item()
    return ((1 - abar) / abar) ** 0.5


def q_sample(schedule: Schedule, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε."""
    abar = schedule.abar(t)
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def tweedie(schedule: Schedule, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """x̂₀ = (x_t + (1 − ᾱ_t)·s) / √ᾱ_t with s = −ε̂/√(1 − ᾱ_t), i.e. (x_t − √(1 − ᾱ_t) ε̂)/√ᾱ_t."""
    abar = schedule.abar(t)
    score = -eps / (1 - abar).sqrt()
    return (x_t + (1 - abar) * score) / abar.sqrt()


def ancestral_step(schedule: Schedule, x_t: torch.Tensor, t: int, x0_hat: torch.Tensor,
                   noise: torch.Tensor, t_prev: int | None = None) -> torch.Tensor:
    """Sample x_{t′} from the posterior q(x_{t′} | x_t, x̂₀) (DDPM, σ² = β̃), t′ = t − 1 by default.

    A strided step (t′ < t − 1) uses the composite α_{t→t′} = ᾱ_t/ᾱ_{t′} and β_{t→t′} = 1 − α_{t→t′};
    t′ = −1 returns the posterior mean at ᾱ = 1, i.e. x̂₀.
    """
    t_prev = t - 1 if t_prev is None else t_prev
    abar_t = schedule.alpha_bars[t]
    abar_prev = schedule.alpha_bars[t_prev] if t_prev >= 0 else torch.tensor(1.0, dtype=torch.float64)
    if t_prev == t - 1:
        alpha, beta_t = schedule.alphas[t], schedule.betas[t]
    else:
        alpha = abar_t / abar_prev
        beta_t = 1 - alpha
    coef_x0 = (abar_prev.sqrt() * beta_t / (1 - abar_t)).item()
    coef_xt = (alpha.sqrt() * (1 - abar_prev) / (1 - abar_t)).item()
    mean = coef_x0 * x0_hat + coef_xt * x_t
    if t_prev < 0:
        return mean
    var = (beta_t * (1 - abar_prev) / (1 - abar_t)).item()
    return mean + var ** 0.5 * noise


def ddim_step(schedule: Schedule, x_t: torch.Tensor, t: int, t_prev: int, eps: torch.Tensor) -> torch.Tensor:
    """Deterministic DDIM (η = 0) step from t to t_prev (t_prev = −1 means x₀)."""
    abar_t = schedule.alpha_bars[t].item()
    abar_prev = schedule.alpha_bars[t_prev].item() if t_prev >= 0 else 1.0
    x0 = (x_t - (1 - abar_t) ** 0.5 * eps) / abar_t ** 0.5
    return abar_prev ** 0.5 * x0 + (1 - abar_prev) ** 0.5 * eps


@torch.no_grad()
def sample_ancestral(model: EpsModel, schedule: Schedule, shape: tuple[int, ...],
                     generator: torch.Generator, start: torch.Tensor | None = None, t_start: int | None = None
                     ) -> torch.Tensor:
    """Full ancestral sampling (T network evaluations), or from x_{t_start} = `start` (SDEdit)."""
    t_start = schedule.T - 1 if t_start is None else t_start
    x = torch.randn(shape, generator=generator) if start is None else start
    for t in progress(range(t_start, -1, -1), "ancestral sampling", t_start + 1):
        eps = model(x, torch.full((shape[0],), t, dtype=torch.long))
        x0 = tweedie(schedule, x, torch.full((shape[0],), t, dtype=torch.long), eps).clamp(-1, 1)
        x = ancestral_step(schedule, x, t, x0, torch.randn(shape, generator=generator))
    return x


@torch.no_grad()
def sample_ddim(model: EpsModel, schedule: Schedule, shape: tuple[int, ...], steps: int,
                generator: torch.Generator) -> torch.Tensor:
    """DDIM (η = 0) with `steps` evenly spaced network evaluations."""
    ts = strided_timesteps(schedule.T, steps)
    x = torch.randn(shape, generator=generator)
    for i, t in progress(enumerate(ts), f"DDIM-{steps} sampling", len(ts)):
        t_prev = ts[i + 1] if i + 1 < len(ts) else -1
        eps = model(x, torch.full((shape[0],), t, dtype=torch.long))
        x = ddim_step(schedule, x, t, t_prev, eps)
    return x
