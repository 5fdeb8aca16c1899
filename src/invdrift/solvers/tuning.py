"""Hyper-parameter search on TRAIN images only (never the test split): best mean PSNR on a grid."""

from __future__ import annotations

import math
from typing import Callable, Hashable, Iterable

import torch

from ..metrics import psnr
from ..operators import Operator
from .base import Context, SolveFn


def tune_on_train(ctx: Context, op: Operator, make_solver: Callable[[Hashable], SolveFn], grid: Iterable[Hashable],
                  images: int | None = None, progress: Callable[[str], None] | None = None
                  ) -> tuple[Hashable, dict[Hashable, float]]:
    """The grid entry whose solver has the best mean PSNR on the first train images, and all scores.

    A value whose solver diverges (non-finite PSNR) scores −inf and is never chosen; `progress`, if given,
    hears each value's score as soon as it is known (a grid of slow solvers takes minutes).
    """
    x = ctx.train_images(images or ctx.tuning_images)
    indices = list(range(len(x)))
    bound = op.for_images(indices, ctx.seed)
    y = bound.measure(x, indices, ctx.seed)
    scores = {}
    for value in grid:
        with torch.no_grad():
            score = psnr(make_solver(value)(y, bound).clamp(0, 1), x).mean().item()
        scores[value] = score if math.isfinite(score) else -math.inf
        if progress is not None:
            progress(f"  {value}: {score:.2f} dB")
    return max(scores, key=scores.get), scores
