"""Restoration with a DDPM prior: Tweedie denoising, SDEdit, ScoreALD and DPS.

Images are mapped to the diffusion's scale by x = 2·image − 1; measurements stay in image scale,
so the likelihood always compares A((x̂₀ + 1)/2) with y.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..operators import Operator
from ..progress import progress
from ..priors.ddpm import EpsModel, Schedule, ancestral_step, noise_to_signal, q_sample, tweedie


def to_image(x: torch.Tensor) -> torch.Tensor:
    return (x + 1) / 2


def to_diffusion(image: torch.Tensor) -> torch.Tensor:
    return image * 2 - 1


def _steps(n: int, t: int) -> torch.Tensor:
    return torch.full((n,), t, dtype=torch.long)


def tweedie_denoise(model: EpsModel, schedule: Schedule, y: torch.Tensor, sigma: float) -> torch.Tensor:
    """One network evaluation: treat 2y − 1 as x₀ + 2σ·n, i.e. x_t/√ᾱ_t at the matching t."""
    t = schedule.t_for_noise(2 * sigma)
    abar = schedule.alpha_bars[t].item()
    x_t = abar ** 0.5 * to_diffusion(y)
    steps = _steps(len(y), t)
    return to_image(tweedie(schedule, x_t, steps, model(x_t, steps)))


def measurement_residual(x0_hat: torch.Tensor, y: torch.Tensor, op: Operator) -> torch.Tensor:
    """y − A((x̂₀ + 1)/2) on the observed values."""
    return (y - op.A(to_image(x0_hat))) * op.observed(y)


def dps_gradient(model: EpsModel, schedule: Schedule, x_t: torch.Tensor, t: int, y: torch.Tensor,
                 op: Operator, clamp: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x̂₀, ∇_{x_t} ‖y − A(x̂₀(x_t))‖², ‖y − A(x̂₀)‖ per image), back-propagating through the network.

    With `clamp` the residual uses x̂₀ clamped to [−1, 1] (as the official DPS code does), so pixels
    outside the range pass no gradient.
    """
    with torch.enable_grad():
        x = x_t.detach().requires_grad_(True)
        steps = _steps(len(x), t)
        x0_hat = tweedie(schedule, x, steps, model(x, steps))
        residual = measurement_residual(x0_hat.clamp(-1, 1) if clamp else x0_hat, y, op)
        sq = residual.flatten(1).pow(2).sum(1)
        (grad,) = torch.autograd.grad(sq.sum(), x)
    return x0_hat.detach(), grad, sq.detach().sqrt()


def dps_step(model: EpsModel, schedule: Schedule, x_t: torch.Tensor, t: int, y: torch.Tensor, op: Operator,
             zeta: float, noise: torch.Tensor, t_prev: int | None = None, clamp: bool = False) -> torch.Tensor:
    """x_{t−1} = ancestral(x_t, x̂₀) − ζ/‖y − A x̂₀‖ · ∇_{x_t}‖y − A x̂₀‖² (Chung et al. 2023)."""
    x0_hat, grad, norm = dps_gradient(model, schedule, x_t, t, y, op, clamp)
    x_prev = ancestral_step(schedule, x_t, t, x0_hat.clamp(-1, 1), noise, t_prev)
    return x_prev - (zeta / norm.clamp_min(1e-8)).view(-1, 1, 1, 1) * grad


def scoreald_step(model: EpsModel, schedule: Schedule, x_t: torch.Tensor, t: int, y: torch.Tensor,
                  op: Operator, weight: float, noise: torch.Tensor, t_prev: int | None = None) -> torch.Tensor:
    """Ancestral step, then an annealed likelihood step on x_{t−1} (no back-propagation through the network).

    With x̃ = the image x_{t−1}/√ᾱ_{t−1} and γ² its image-scale noise variance, the image moves by
    weight · γ²/(σ² + γ²) · Aᵀ(y − A x̃): a Langevin-style step whose size anneals with the noise level.
    """
    steps = _steps(len(x_t), t)
    with torch.no_grad():
        x0_hat = tweedie(schedule, x_t, steps, model(x_t, steps)).clamp(-1, 1)
        t_prev = t - 1 if t_prev is None else t_prev
        x_prev = ancestral_step(schedule, x_t, t, x0_hat, noise, t_prev)
        if t_prev < 0:
            return x_prev
        abar = schedule.alpha_bars[t_prev].item()
        image = to_image(x_prev / abar ** 0.5)
        gamma2 = (1 - abar) / abar / 4
        step = weight * gamma2 / (op.sigma ** 2 + gamma2)
        update = step * op.At((y - op.A(image)) * op.observed(y))
        return x_prev + 2 * abar ** 0.5 * update


def sdedit_start(schedule: Schedule, start: torch.Tensor, t: int, carried_noise: float,
                 noise: torch.Tensor) -> torch.Tensor:
    """x_t for SDEdit from a start image in diffusion scale that already carries i.i.d. noise of std
    `carried_noise`: only the missing noise √(σ_t² − carried²) is added (none if it already has enough)."""
    missing = max(noise_to_signal(schedule, t) ** 2 - carried_noise ** 2, 0.0) ** 0.5
    return schedule.alpha_bars[t].item() ** 0.5 * (start + missing * noise)


@dataclass
class DiffusionSolver:
    """SDEdit, ScoreALD or DPS with its hyper-parameters; called as solver(y, op).

    SDEdit starts from A†y; when A†y already carries i.i.d. noise (`carried_noise`, diffusion scale:
    denoising), it starts no lower than the step whose noise level matches and adds only what is missing.
    """

    model: EpsModel
    schedule: Schedule
    method: str
    t_start: int = 999
    zeta: float = 1.0
    weight: float = 1.0
    seed: int = 0
    steps: int = 0  # network evaluations on a strided schedule from t_start; 0: every step
    clamp: int = 0  # DPS: likelihood gradient through x̂₀ clamped to [−1, 1]
    carried_noise: float = 0.0  # SDEdit: noise std A†y already carries (diffusion scale)

    def __post_init__(self) -> None:
        self.t_start = min(int(self.t_start), self.schedule.T - 1)
        if self.method == "sdedit" and self.carried_noise > 0:
            self.t_start = max(self.t_start, self.schedule.t_for_noise(self.carried_noise))

    def timesteps(self) -> list[int]:
        """t_start, …, 0: every step, or `steps` of them evenly spaced."""
        if not self.steps or self.steps >= self.t_start + 1:
            return list(range(self.t_start, -1, -1))
        return torch.linspace(self.t_start, 0, self.steps).round().long().tolist()

    @property
    def nfe(self) -> int:
        steps = len(self.timesteps())
        return 2 * steps if self.method == "dps" else steps

    def __call__(self, y: torch.Tensor, op: Operator) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        shape = (y.shape[0], *op.shape)
        if self.method == "sdedit" and self.carried_noise > 0:
            x = sdedit_start(self.schedule, to_diffusion(op.pinv(y)), self.t_start, self.carried_noise,
                             torch.randn(shape, generator=generator))
        elif self.method == "sdedit":
            start = to_diffusion(op.pinv(y).clamp(0, 1))
            x = q_sample(self.schedule, start, _steps(len(y), self.t_start), torch.randn(shape, generator=generator))
        else:
            x = torch.randn(shape, generator=generator)
        ts = self.timesteps()
        for i, t in enumerate(progress(ts, self.method)):
            t_prev = ts[i + 1] if i + 1 < len(ts) else -1
            noise = torch.randn(shape, generator=generator)
            if self.method == "dps":
                x = dps_step(self.model, self.schedule, x, t, y, op, self.zeta, noise, t_prev, bool(self.clamp))
            elif self.method == "scoreald":
                x = scoreald_step(self.model, self.schedule, x, t, y, op, self.weight, noise, t_prev)
            else:
                with torch.no_grad():
                    steps = _steps(len(x), t)
                    x0 = tweedie(self.schedule, x, steps, self.model(x, steps)).clamp(-1, 1)
                    x = ancestral_step(self.schedule, x, t, x0, noise, t_prev)
        return to_image(x.detach())
