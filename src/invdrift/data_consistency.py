"""A data-consistency step after a one-step restorer: its output x̂ taken as a Gaussian prior draw of
error τ and combined with the measurement through the operator's closed-form proximal step,

    x' = argmin_x ‖A x − y'‖² / σ² + ‖x − x̂‖² / τ².

For a deterministic estimate y' = y (a MAP step). For a posterior sample y' = y + σε with fresh noise ε
(perturb-then-optimise): when x̂ is a draw of N(m, τ²) the result is an exact draw of the Gaussian
posterior, so the step keeps the samples' spread instead of pulling them all onto one point.
Inpainting is left alone: its observed pixels are already set from y (`generative.posterior_draws`).
"""

from __future__ import annotations

import torch

from .operators import Inpaint, Operator

RHO_FLOOR = 1e-12  # σ = 0: the step becomes the projection onto {A x = y} (unobserved directions kept)


def consistency_step(x_hat: torch.Tensor, y: torch.Tensor, operator: Operator, tau: float,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """x̂ [K, N, C, H, W] (or [N, C, H, W]) moved towards y by the proximal step with assumed error τ;
    with a generator, each of the K draws sees its own perturbed measurement y + σε."""
    if tau <= 0:
        raise ValueError(f"data-consistency τ must be positive, got {tau}")
    if isinstance(operator, Inpaint):
        return x_hat
    draws = x_hat if x_hat.ndim == 5 else x_hat[None]
    rho = max((operator.sigma / tau) ** 2, RHO_FLOOR)
    moved = []
    for draw in draws:
        target = y.double()
        if generator is not None and operator.sigma > 0:
            target = target + operator.sigma * torch.randn(y.shape, generator=generator, dtype=torch.float64)
        moved.append(operator.prox(draw.double(), rho, target).to(x_hat.dtype))
    out = torch.stack(moved)
    return out if x_hat.ndim == 5 else out[0]
