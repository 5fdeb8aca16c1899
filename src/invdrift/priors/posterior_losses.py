"""Per-measurement losses for a conditional sampler: G samples of ONE measurement against its clean image.

Features are lists of tensors [L, B·G, D] (L locations, B measurements with G consecutive samples
each) and [L, B, D] for the clean images. Regrouping them per (location, measurement) gives the
drift field or the energy score inside each measurement's group, so that the samples of one
measurement are spread over that measurement's posterior (negatives = the group's own samples).
"""

from __future__ import annotations

import torch

from .drifting import TEMPERATURES, drift_loss


def per_measurement(features: torch.Tensor, group_size: int) -> torch.Tensor:
    """[L, B·G, D] (samples of a measurement consecutive) → [L·B, G, D]."""
    locations, total, dim = features.shape
    if total % group_size:
        raise ValueError(f"{total} samples do not split into groups of {group_size}")
    return features.reshape(locations * (total // group_size), group_size, dim)


def grouped_drift_loss(generated: list[torch.Tensor], clean: list[torch.Tensor], group_size: int,
                       temperatures: tuple[float, ...] = TEMPERATURES) -> tuple[torch.Tensor, dict]:
    """The drift loss computed in every measurement's group; the group's positive is its clean image."""
    gen_groups = [per_measurement(g, group_size) for g in generated]
    pos_groups = [per_measurement(c, 1) for c in clean]
    return drift_loss(gen_groups, pos_groups, temperatures)


def marginal_drift_loss(generated: list[torch.Tensor], clean: list[torch.Tensor],
                        temperatures: tuple[float, ...] = TEMPERATURES) -> tuple[torch.Tensor, dict]:
    """The drift of all the batch's samples towards all its clean images, whatever their measurements (the
    unconditional generator's loss on the restorations' marginal). A sampler of the true posterior has the
    data's marginal, so this term's field vanishes there: it adds realism without asking for less spread."""
    return drift_loss(generated, clean, temperatures)


def _distance(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Euclidean distance over the last axis, smooth at 0."""
    return ((a - b).pow(2).sum(-1) + eps).sqrt()


def energy_score(samples: torch.Tensor, target: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Energy score per group: mean ‖x̂ − x‖^β − ½ mean over pairs g ≠ g′ of ‖x̂_g − x̂_g′‖^β.

    samples [M, G, D] (G ≥ 2), target [M, 1, D] → [M]. For 0 < β < 2 a strictly proper scoring rule: its
    expected value over x ~ p is minimised only when the samples are drawn from p; as β → 2 it weighs the
    samples' mean more and their spread less (at β = 2 only the mean counts).
    """
    g = samples.shape[1]
    if g < 2:
        raise ValueError("the energy score needs at least 2 samples per group")
    if not 0 < beta < 2:
        raise ValueError(f"energy score exponent {beta}: must be in (0, 2)")
    attraction = _distance(samples, target).pow(beta).mean(1)
    pairwise = _distance(samples[:, :, None], samples[:, None, :]).pow(beta)  # [M, G, G], diagonal ≈ 0
    off_diagonal = pairwise.sum((1, 2)) - pairwise.diagonal(dim1=1, dim2=2).sum(-1)
    return attraction - 0.5 * off_diagonal / (g * (g - 1))


def mean_error(samples: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Unbiased estimate of the squared error of the samples' own mean, per dimension: ‖x̄ − x‖²/D − s²/G.

    samples [M, G, D] (G ≥ 2), target [M, 1, D] → [M]; x̄ and s² (summed over D, divided by D) are the mean
    and unbiased variance of the G samples. It is the energy score at β = 2 (divided by D): its expected
    value is ‖E x̂ − x‖²/D whatever the samples' spread, so as a loss it trains the sampler's mean towards
    the posterior mean and neither rewards nor penalises the spread.
    """
    g = samples.shape[1]
    if g < 2:
        raise ValueError("the mean error needs at least 2 samples per group")
    centre = samples.mean(1, keepdim=True)
    bias = (centre - target).pow(2).mean((1, 2))
    variance = (samples - centre).pow(2).sum(1).mean(-1) / (g - 1)
    return bias - variance / g


def energy_score_loss(generated: list[torch.Tensor], clean: list[torch.Tensor],
                      group_size: int, beta: float = 1.0) -> tuple[torch.Tensor, dict]:
    """Σ over features of the mean energy score, each feature divided by its (constant) mean distance
    to the clean image to the power β, so that features of different sizes weigh alike."""
    total = generated[0].new_zeros(())
    info: dict[str, float] = {}
    for k, (gen, pos) in enumerate(zip(generated, clean)):
        samples, target = per_measurement(gen, group_size), per_measurement(pos, 1)
        scale = _distance(samples.detach(), target.detach()).mean().clamp_min(1e-3)
        score = energy_score(samples, target, beta).mean()
        total = total + score / scale ** beta
        info[f"f{k}_scale"] = float(scale)
    return total, info


def pixel_marginals(images: torch.Tensor) -> torch.Tensor:
    """Images [N, C, H, W] → one location per pixel value, [C·H·W, N, 1], as the losses above take features."""
    return images.flatten(1).T[..., None]


def pixel_crps_loss(samples: torch.Tensor, clean: torch.Tensor, group_size: int) -> tuple[torch.Tensor, dict]:
    """The CRPS of every pixel's marginal in each measurement's group: the energy score (β = 1) of each pixel
    value on its own, averaged over pixels and divided by the mean |x̂ − x| (`energy_score_loss`). Strictly
    proper for each pixel's marginal, which is what range coverage judges; blind to how the pixels co-vary,
    which the drift's features judge."""
    return energy_score_loss([pixel_marginals(samples)], [pixel_marginals(clean)], group_size, 1.0)
