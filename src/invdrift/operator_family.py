"""The family of operators a family-trained restorer learns from, drawn at random for each batch.

One of the six task kinds, uniformly; then its parameters: noise σ log-uniform in [0.005, 0.3] for every
kind, blur std uniform in [0.5, 3] (or log-uniform: `draw_blur_std`; kernel side 2⌈3·std − ½⌉ + 1), SR ×2 or
×4, random masks with a missing fraction uniform in [0.3, 0.95], boxes of random side (H/8 … H/2) at a random
position per image. With `v1_share` > 0, that share of the draws is instead one of the six v1 operators exactly (uniformly, or as
often as each appears in the restorer's `tasks` setting), members of the family that a user is most likely to meet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import torch

from . import operators
from .operator_params import TASKS

SIGMA_RANGE = (0.005, 0.3)
BLUR_STD_RANGE = (0.5, 3.0)
MISSING_RANGE = (0.3, 0.95)
BLUR_STD_DRAWS = ("uniform", "log-uniform")


def _uniform(low: float, high: float, generator: torch.Generator) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator, dtype=torch.float64))


def random_box_masks(n: int, shape: tuple[int, int, int], generator: torch.Generator) -> torch.Tensor:
    """[N, 1, H, W] masks, each with one square hole of random side (H/8 … H/2) at a random place."""
    _, h, w = shape
    masks = torch.ones(n, 1, h, w)
    for i in range(n):
        side = int(torch.randint(max(1, h // 8), h // 2 + 1, (1,), generator=generator))
        top = int(torch.randint(0, h - side + 1, (1,), generator=generator))
        left = int(torch.randint(0, w - side + 1, (1,), generator=generator))
        masks[i, :, top:top + side, left:left + side] = 0
    return masks


def draw_entry(entries: Sequence[str], generator: torch.Generator) -> str:
    """One entry of `entries`, uniformly (one random integer drawn; a repeated entry is drawn more often)."""
    return entries[int(torch.randint(len(entries), (1,), generator=generator))]


def draw_blur_std(generator: torch.Generator, draw: str = "uniform") -> float:
    """A blur std in BLUR_STD_RANGE: `uniform`, or `log-uniform` (as σ: each doubling of the std equally
    likely, so mild blurs, whose nearly invertible deconvolution needs the most precision, are drawn twice as
    often below std 1)."""
    low, high = BLUR_STD_RANGE
    if draw == "uniform":
        return _uniform(low, high, generator)
    return math.exp(_uniform(math.log(low), math.log(high), generator))


def random_operator(n: int, shape: tuple[int, int, int], generator: torch.Generator,
                    v1_share: float = 0.0, v1_tasks: Sequence[str] = TASKS,
                    blur_std_draw: str = "uniform") -> operators.Operator:
    """An operator of the family for a batch of n images (box masks differ per image); with probability
    `v1_share` one entry of `v1_tasks` (the v1 operators; one repeated is drawn more often); no random
    number is drawn for this when `v1_share` is 0. `blur_std_draw`: see `draw_blur_std`."""
    if v1_share > 0 and float(torch.rand((), generator=generator, dtype=torch.float64)) < v1_share:
        return operators.make(draw_entry(v1_tasks, generator), shape)
    task = draw_entry(TASKS, generator)
    sigma = math.exp(_uniform(math.log(SIGMA_RANGE[0]), math.log(SIGMA_RANGE[1]), generator))
    spec = f"{task}:sigma={sigma:.6g}"
    if task == "deblur":
        spec += f",std={draw_blur_std(generator, blur_std_draw):.6g}"
    elif task == "inpaint_random":
        spec += f",missing={_uniform(*MISSING_RANGE, generator):.6g}"
    op = operators.make(spec, shape)
    if task == "inpaint_box":
        op = replace(op, mask=random_box_masks(n, shape, generator))
    return op


def in_family(op: operators.Operator) -> bool:
    """Could the family have drawn this operator? (Every box of side H/8 … H/2 counts, wherever it is.)"""
    params = op.params or {"sigma": op.sigma}
    if not SIGMA_RANGE[0] <= params["sigma"] <= SIGMA_RANGE[1]:
        return False
    if op.task == "deblur":
        return BLUR_STD_RANGE[0] <= params["std"] <= BLUR_STD_RANGE[1] and \
            params["size"] == operators.make(f"deblur:std={params['std']:g}", op.shape).size
    if op.task == "inpaint_random":
        return MISSING_RANGE[0] <= params["missing"] <= MISSING_RANGE[1]
    if op.task == "inpaint_box":
        return max(1, op.shape[1] // 8) <= params["size"] <= op.shape[1] // 2
    return True
