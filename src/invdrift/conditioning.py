"""What a conditional restorer sees: A†y, the observed-pixel mask and the task, as image channels."""

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


def condition(y: torch.Tensor, op: Operator) -> torch.Tensor:
    """[A†y | mask | task one-hot], shape [N, C + 1 + 6, H, W]."""
    pinv = op.pinv(y).float()
    n, _, h, w = pinv.shape
    return torch.cat([pinv, pixel_mask(op, n), task_channels(op.task, n, (h, w))], dim=1)


def condition_channels(channels: int) -> int:
    return channels + 1 + len(TASKS)


def keep_observed(x_hat: torch.Tensor, y: torch.Tensor, op: Operator) -> torch.Tensor:
    """Hard data consistency for inpainting: observed pixels are taken from y (others unchanged)."""
    if not isinstance(op, Inpaint):
        return x_hat
    mask = pixel_mask(op, y.shape[0], x_hat.dtype)  # broadcasts over leading sample axes
    return mask * y + (1 - mask) * x_hat
