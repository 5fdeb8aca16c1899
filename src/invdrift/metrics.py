"""Per-image metrics of the protocol: psnr, ssim, mse, consistency; and the Fréchet distance."""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F

from .operators import Operator

SSIM_WINDOW, SSIM_SIGMA, SSIM_K1, SSIM_K2 = 11, 1.5, 0.01, 0.03


def mse(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error per image (estimate clipped to [0, 1])."""
    return (x_hat.clamp(0, 1).double() - x.double()).pow(2).flatten(1).mean(1)


def psnr(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """10·log10(1 / MSE) per image, data range 1, estimate clipped to [0, 1]."""
    return 10 * torch.log10(1.0 / mse(x_hat, x).clamp_min(1e-20))


def _gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(r ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """SSIM per image: Gaussian window 11, σ 1.5, K1 0.01, K2 0.03, data range 1, mean over channels.

    Statistics use population (not sample) covariance and the mean is taken over window positions
    that lie fully inside the image, as scikit-image does.
    """
    a = x_hat.clamp(0, 1).double()
    b = x.double()
    n, c, h, w = a.shape
    window = _gaussian_window().to(a.device)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t.reshape(n * c, 1, h, w), window).reshape(n, c, h - SSIM_WINDOW + 1, w - SSIM_WINDOW + 1)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a ** 2
    var_b = blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    c1, c2 = SSIM_K1 ** 2, SSIM_K2 ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return s.flatten(2).mean(2).mean(1)


def consistency(x_hat: torch.Tensor, y: torch.Tensor, op: Operator) -> torch.Tensor:
    """‖A(x̂) − y‖₂ / (σ·√m) per image over the m observed values (1 = fits y to the noise level)."""
    residual = (op.A(x_hat.clamp(0, 1).to(y.dtype)) - y) * op.observed(y)
    norm = residual.double().flatten(1).norm(dim=1)
    return norm / (op.sigma * op.num_observed(y).double().sqrt())


def mean_and_se(values: torch.Tensor) -> tuple[float, float]:
    """Mean and standard error of the mean."""
    v = values.double()
    se = v.std(unbiased=True).item() / np.sqrt(len(v)) if len(v) > 1 else float("nan")
    return v.mean().item(), se


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets [N, D]."""
    from scipy import linalg

    a = features_a.double().numpy()
    b = features_b.double().numpy()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # near-singular products are handled below
        covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(covmean).all():
        eps = np.eye(len(cov_a)) * 1e-6
        covmean = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    covmean = np.real(covmean)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean))


def frechet_distance_eigh(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """`metrics.frechet_distance` (the protocol's fd) computed through two symmetric eigendecompositions,
    tr √(Ca Cb) = Σ √λ(√Ca Cb √Ca), about four times faster than a general matrix square root: the
    paired bootstrap (paired_bootstrap.py) computes it thousands of times (a test holds the two equal)."""
    a, b = features_a.double(), features_b.double()
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    w, v = torch.linalg.eigh(cov_a)
    root = (v * w.clamp(min=0).sqrt()) @ v.T
    inner = torch.linalg.eigvalsh(root @ cov_b @ root).clamp(min=0)
    mean_gap = (a.mean(0) - b.mean(0)).pow(2).sum()
    return (mean_gap + cov_a.trace() + cov_b.trace() - 2 * inner.sqrt().sum()).item()


def inside_range(samples: torch.Tensor, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Per value [N, ...]: does the clean value lie inside [min, max] of the K samples [K, N, ...]?

    The samples are clipped to [0, 1] first, like every estimate. The clean value's rank among the K + 1
    values is drawn uniformly among its ties, so a calibrated sampler is inside with probability
    (K − 1)/(K + 1) whatever the posterior's shape, also where samples and truth sit on 0 or 1.
    """
    s = samples.clamp(0, 1).double()
    truth = x.double()[None]
    below = (s < truth).sum(0)
    ties = (s == truth).sum(0)
    rank = below + (torch.rand(below.shape, generator=generator, dtype=torch.float64) * (ties + 1)).floor()
    return (rank >= 1) & (rank <= samples.shape[0] - 1)


def range_coverage(samples: torch.Tensor, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Per image: the fraction of values whose clean value lies inside [min, max] of the K samples
    (`inside_range`; samples [K, N, ...], x [N, ...])."""
    return inside_range(samples, x, generator).double().flatten(1).mean(1)


def sample_std(samples: torch.Tensor) -> torch.Tensor:
    """Per image: the mean over pixels of the standard deviation (K − 1 in the denominator) of K samples."""
    return samples.clamp(0, 1).double().std(0).flatten(1).mean(1)


def spread_and_error(samples: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image: the mean over values of the K samples' variance (K − 1 in the denominator) and the
    squared error of their mean (samples [K, N, ...] clipped to [0, 1], x [N, ...])."""
    s = samples.clamp(0, 1).double()
    spread = s.var(0).flatten(1).mean(1)
    error = (s.mean(0) - x.double()).pow(2).flatten(1).mean(1)
    return spread, error


def spread_skill(spread: torch.Tensor, error: torch.Tensor, k: int) -> float:
    """sqrt((1 + 1/K) · mean spread / mean error of the K-sample mean): 1 for a calibrated sampler,
    below 1 when its samples spread less than its mean errs (under-dispersed), above 1 when more.

    For samples drawn from the posterior, E[error] = E[posterior variance]·(1 + 1/K) and
    E[spread] = E[posterior variance] (Fortin et al. 2014, spread–skill ratio of a K-member ensemble).
    """
    return float(((1 + 1 / k) * spread.mean() / error.mean().clamp_min(1e-20)).sqrt())


def limit_mse(mse_one: float, mse_mean: float, k: int) -> float:
    """MSE of the mean of infinitely many samples, from the MSE of one sample and of the mean of K: with
    samples m + e (e of zero mean, drawn independently), mse_1 = B + S and mse_K = B + S/K, so the error
    of the samples' own mean is B = (K·mse_K − mse_1)/(K − 1)."""
    return (k * mse_mean - mse_one) / (k - 1)
