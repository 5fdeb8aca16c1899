"""DDRM and DiffPIR against the exact posterior of a Gaussian toy prior (oracle denoiser).

Neither method is an exact posterior sampler, so the checks are those that a wrong sign or scale
breaks: the estimates follow the exact posterior mean m with a regression slope near 1, and their
error to the truth stays below 1.9 × the posterior variance (exact samples: 2; the mean itself: 1).
Measured with σ_y halved or doubled, or y left on the image scale, the slope leaves [0.65, 1.2] or
the error passes 1.9 on at least one of these tasks.
"""

import pytest
import torch

from invdrift import operators
from invdrift.priors.ddpm import Schedule
from invdrift.solvers.ddrm import DDRM, ddrm_update
from invdrift.solvers.diffpir import DiffPIR

TAU = 0.3  # prior x ~ N(0, τ²) per pixel on the diffusion's [−1, 1] scale
SCHEDULE = Schedule.linear()
SHAPE = (1, 16, 16)


def oracle(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """The exact ε-prediction for the Gaussian prior."""
    abar = SCHEDULE.alpha_bars[t].float().view(-1, 1, 1, 1)
    x0 = TAU ** 2 * abar.sqrt() / (abar * TAU ** 2 + 1 - abar) * x_t
    return (x_t - abar.sqrt() * x0) / (1 - abar).sqrt()


def dense(op: operators.Operator) -> torch.Tensor:
    d = SHAPE[0] * SHAPE[1] * SHAPE[2]
    return op.A(torch.eye(d, dtype=torch.float64).reshape(d, *SHAPE)).reshape(d, -1).T


@pytest.mark.parametrize("task", ["denoise", "deblur", "sr4", "inpaint_random"])
@pytest.mark.parametrize("solver", [DDRM(oracle, SCHEDULE, steps=20), DiffPIR(oracle, SCHEDULE, steps=20)],
                         ids=["ddrm", "diffpir"])
def test_follows_the_exact_gaussian_posterior(task, solver):
    g = torch.Generator().manual_seed(0)
    n = 400
    op = operators.make(task, SHAPE)
    if task == "inpaint_random":
        op = op.with_mask((torch.rand(1, 1, *SHAPE[1:], generator=g) > 0.5).float())
    x = TAU * torch.randn(n, *SHAPE, generator=g, dtype=torch.float64)
    clean = op.A((x + 1) / 2)
    y = clean + op.sigma * torch.randn(clean.shape, generator=g, dtype=torch.float64) * op.observed(clean)
    a, sigma_y = dense(op), 2 * op.sigma
    y_d = (2 * y - op.A(torch.ones_like(x))).reshape(n, -1)
    covariance = torch.linalg.inv(a.T @ a / sigma_y ** 2 + torch.eye(a.shape[1], dtype=torch.float64) / TAU ** 2)
    mean = (y_d @ a / sigma_y ** 2) @ covariance
    variance = covariance.diagonal().mean().item()
    estimate = (2 * solver(y.float(), op).double() - 1).reshape(n, -1)
    centred_mean, centred_estimate = mean - mean.mean(), estimate - estimate.mean()
    slope = (centred_mean * centred_estimate).sum() / centred_mean.pow(2).sum()
    error = (estimate - x.reshape(n, -1)).pow(2).mean() / variance
    assert 0.65 < slope < 1.2, slope
    assert 1.0 < error < 1.9, error


def test_ddrm_update_cases():
    """Unmeasured coordinates keep part of x_t; cleaner-than-noise ones jump to Uᵀy/Σ with the missing noise."""
    c0, c_t, uty, noise = torch.tensor([0.0, 0.0, 0.0]), torch.tensor([1.0, 1.0, 1.0]), torch.tensor([0.0, 0.5, 0.5]), \
        torch.zeros(3)
    s = torch.tensor([0.0, 1.0, 0.01])
    out = ddrm_update(c0, c_t, uty, s, sigma_t=2.0, sigma_next=1.0, sigma_y=0.1, eta=0.6, eta_b=1.0, noise=noise)
    assert torch.allclose(out[0], torch.tensor(1.0 * 0.8 * 1.0 / 2.0))  # σ′·√(1 − η²)·(c_t − ĉ₀)/σ_t
    assert torch.allclose(out[1], torch.tensor(0.5))  # σ′Σ ≥ σ_y: Uᵀy/Σ
    assert torch.allclose(out[2], torch.tensor(1.0 * 0.8 * 0.5 / 0.1))  # σ′Σ < σ_y: σ′√(1 − η²)(Uᵀy − Σĉ₀)/σ_y
