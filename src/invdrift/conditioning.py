"""What a conditional restorer sees, as image channels.

`task` conditioning (the fixed-operator restorers): A†y, the observed-pixel mask and a one-hot task code.
`operator` conditioning (family-trained restorers; names no task): A†y, a regularised inverse of y for
this operator, the observed-pixel mask and a per-pixel noise-level map.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .operators import TASKS, Inpaint, Operator


def pixel_mask(op: Operator, n: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """[N, 1, H, W]: 1 where the pixel is observed (all ones except for inpainting)."""
    _, h, w = op.shape
    if isinstance(op, Inpaint):
        return op.mask.to(dtype).expand(n, 1, h, w)
    return torch.ones(n, 1, h, w, dtype=dtype)


def task_channels(task: str, n: int, size: tuple[int, int]) -> torch.Tensor:
    """One-hot task code as constant channels [N, len(TASKS), H, W]."""
    onehot = F.one_hot(torch.tensor(TASKS.index(task)), len(TASKS)).float()
    return onehot[None, :, None, None].expand(n, -1, *size)


CONDITIONINGS = ("task", "operator")
PRIOR_MEAN, PRIOR_VARIANCE = 0.5, 0.1  # the white Gaussian prior of the regularised inverse (image units)


def regularised_inverse(y: torch.Tensor, op: Operator) -> torch.Tensor:
    """argmin_x ‖A x − y‖² + (σ²/s²)‖x − m‖²: the MAP estimate under a white prior N(m, s²) (m = 0.5,
    s² = 0.1), through the operator's closed-form proximal step; it deconvolves a blur as far as the
    noise allows, so it tells the network which operator it faces."""
    rho = max(op.sigma, 1e-3) ** 2 / PRIOR_VARIANCE
    z = torch.full((y.shape[0], *op.shape), PRIOR_MEAN, dtype=torch.float64)
    return op.prox(z, rho, y.double()).float()


def condition(y: torch.Tensor, op: Operator, mode: str = "task") -> torch.Tensor:
    """`task`: [A†y | mask | task one-hot], [N, C + 1 + 6, H, W]; `operator`: [A†y | regularised inverse |
    mask | σ map], [N, 2C + 2, H, W]."""
    pinv = op.pinv(y).float()
    n, _, h, w = pinv.shape
    if mode == "operator":
        noise = torch.full((n, 1, h, w), float(op.sigma))
        return torch.cat([pinv, regularised_inverse(y, op), pixel_mask(op, n), noise], dim=1)
    return torch.cat([pinv, pixel_mask(op, n), task_channels(op.task, n, (h, w))], dim=1)


def condition_channels(channels: int, mode: str = "task") -> int:
    return 2 * channels + 2 if mode == "operator" else channels + 1 + len(TASKS)


def keep_observed(x_hat: torch.Tensor, y: torch.Tensor, op: Operator,
                  likelihood_noise: torch.Tensor | None = None) -> torch.Tensor:
    """Hard data consistency for inpainting: observed pixels are taken from y, plus `likelihood_noise`
    when given (others unchanged)."""
    if not isinstance(op, Inpaint):
        return x_hat
    mask = pixel_mask(op, y.shape[0], x_hat.dtype)  # broadcasts over leading sample axes
    observed = y if likelihood_noise is None else y + likelihood_noise
    return mask * observed + (1 - mask) * x_hat
