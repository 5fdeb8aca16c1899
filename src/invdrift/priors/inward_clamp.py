"""Clamping to the image range [0, 1] for a loss that judges what evaluation sees (every estimate is clipped).

`inward_clamp` is `x.clamp(0, 1)` in the forward pass. Its gradient passes where x is inside the range, and
outside only when a descent step would move x back towards the range; a plain clamp would pass none there, so a
value stuck outside could never return. A value below 0 whose loss asks it to fall further gets no gradient: the
sampler may put any amount of its mass under 0, which the clipped output shows as exactly 0 (and above 1, as 1).
"""

from __future__ import annotations

import torch


class _InwardClamp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.clamp(0, 1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        inside = (x >= 0) & (x <= 1)
        inward = ((x < 0) & (grad < 0)) | ((x > 1) & (grad > 0))  # descent (−grad) moves x towards [0, 1]
        return grad * (inside | inward)


def inward_clamp(x: torch.Tensor) -> torch.Tensor:
    """x clipped to [0, 1]; gradients pass inside the range, and outside it only towards the range."""
    return _InwardClamp.apply(x)
