"""The drifting field and its stop-gradient loss (Deng et al. 2026, "Generative Modeling via Drifting").

Shapes: a feature is a tensor [G, N, D] — G independent groups (e.g. spatial locations), N samples,
D dimensions. Generated samples x are attracted to nearby positives (data) and repelled from nearby
negatives (generated samples, each with its own distance masked out). With the Laplace kernel
k(a, b) = exp(−‖a − b‖ / τ) the batch estimator is

    logits   = −dist(x, [negatives | positives]) / τ
    affinity = sqrt(softmax over the row · softmax over the column)
    V(x)     = Σ_j a⁺_j·(Σ a⁻)·(y⁺_j − x) − Σ_j a⁻_j·(Σ a⁺)·(y⁻_j − x),

which is anti-symmetric in (positives, negatives) and zero when the two sets coincide.
"""

from __future__ import annotations

import torch

TEMPERATURES = (0.02, 0.05, 0.2)
SELF_MASK = 100.0  # added to a sample's normalised distance to itself
AFFINITY_FLOOR = 1e-6  # softmax product clamped here before the square root (the official constant)


def pairwise_distance(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Euclidean distances [G, N, M] between a [G, N, D] and b [G, M, D]."""
    sq = a.pow(2).sum(-1)[:, :, None] + b.pow(2).sum(-1)[:, None, :] - 2 * a @ b.transpose(1, 2)
    return sq.clamp_min(eps).sqrt()


def drift_field(x: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor, temperature: float,
                distances: torch.Tensor | None = None, self_mask: bool = False) -> torch.Tensor:
    """V(x) [G, N, D] for one temperature.

    `distances` [G, N, M + P] are normalised distances from x to [negatives | positives] (computed
    here if not given). With `self_mask`, negatives are x itself and each x_i's own column is masked.
    """
    targets = torch.cat([negatives, positives], dim=1)
    if distances is None:
        distances = pairwise_distance(x, targets)
    m = negatives.shape[1]
    if self_mask:
        eye = torch.eye(x.shape[1], m, dtype=distances.dtype, device=distances.device)
        distances = distances + SELF_MASK * torch.nn.functional.pad(eye, (0, positives.shape[1]))
    logits = -distances / temperature
    affinity = (logits.softmax(dim=-1) * logits.softmax(dim=-2)).clamp_min(AFFINITY_FLOOR).sqrt()
    aff_neg, aff_pos = affinity[..., :m], affinity[..., m:]
    coeff = torch.cat([-aff_neg * aff_pos.sum(-1, keepdim=True), aff_pos * aff_neg.sum(-1, keepdim=True)], dim=-1)
    return coeff @ targets - coeff.sum(-1, keepdim=True) * x


@torch.no_grad()
def normalised_field(x: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor | None = None,
                     temperatures: tuple[float, ...] = TEMPERATURES) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """Drift in normalised coordinates, summed over temperatures after dividing each by its RMS.

    Without `negatives` the generated samples themselves are the negatives (self-masked).
    Returns (V, coordinate scale, info with the raw RMS of V per temperature and the feature scale).
    """
    self_mask = negatives is None
    negatives = x if negatives is None else negatives
    targets = torch.cat([negatives, positives], dim=1)
    distances = pairwise_distance(x, targets)
    scale = distances.mean().clamp_min(1e-3)  # normalise: mean pairwise distance 1
    distances = distances / scale
    coord_scale = (scale / x.shape[-1] ** 0.5).clamp_min(1e-3)  # coordinates of order 1 per dimension
    xs, ps, ns = x / coord_scale, positives / coord_scale, negatives / coord_scale
    total = torch.zeros_like(xs)
    info = {"scale": float(scale)}
    for tau in temperatures:
        v = drift_field(xs, ps, ns, tau, distances=distances, self_mask=self_mask)
        rms = v.pow(2).mean().sqrt()
        info[f"v_rms_{tau}"] = float(rms)
        total = total + v / rms.clamp_min(1e-4)
    return total, coord_scale, info


def drift_loss(generated: list[torch.Tensor], positives: list[torch.Tensor],
               temperatures: tuple[float, ...] = TEMPERATURES) -> tuple[torch.Tensor, dict]:
    """Σ over features of mean ‖x − stopgrad(x + V(x))‖² in normalised coordinates.

    Gradients flow only through `generated`; the drift target is a constant.
    """
    total = generated[0].new_zeros(())
    info: dict[str, float] = {}
    for k, (gen, pos) in enumerate(zip(generated, positives)):
        v, coord_scale, feat_info = normalised_field(gen.detach(), pos.detach(), None, temperatures)
        goal = gen.detach() / coord_scale + v
        total = total + (gen / coord_scale - goal).pow(2).mean()
        for key, value in feat_info.items():
            info[f"f{k}_{key}"] = value
    return total, info
