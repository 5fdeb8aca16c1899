"""What every solver shares: the call signature, its cost, and the context it is built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from ..checkpoint import default_checkpoints
from ..operators import Operator

SolveFn = Callable[[torch.Tensor, Operator], torch.Tensor]
DrawFn = Callable[[torch.Tensor, Operator, int, int], torch.Tensor]  # (y, operator, K, start) → draws start…K−1


@dataclass
class Solver:
    """A restoration method: `solver(y, operator) -> x̂`, with its cost per image and its weights.

    A method that samples a posterior also has `draws(y, operator, K, start)`: draws start…K−1 of K
    samples [K − start, N, C, H, W], whose first (draw 0) is the estimate `solve` returns.
    """

    name: str
    solve: SolveFn
    nfe: int = 0
    checkpoint: str = ""
    draws: DrawFn | None = None
    precision: str = "float32"  # of the network evaluations
    trained_on: Callable[[Operator], bool] | None = None  # trained restorers: was this operator in training?

    def __call__(self, y: torch.Tensor, operator: Operator) -> torch.Tensor:
        operator.check_measurement(y)
        return self.solve(y, operator)

    def sample(self, y: torch.Tensor, operator: Operator, k: int, start: int = 0) -> torch.Tensor:
        """Posterior draws start…K−1 [K − start, N, C, H, W] (start = 1: the ones `solve` does not
        give); an error for a method that does not sample."""
        if self.draws is None:
            from ..errors import InvdriftError

            raise InvdriftError(f"{self.name} does not draw samples")
        operator.check_measurement(y)
        return self.draws(y, operator, k, start)


def reseeded_draws(solve_with_seed: Callable[[int], SolveFn], seed: int) -> DrawFn:
    """Draws of a method whose only randomness is its seed: draw i runs it with seed + i."""
    def draws(y: torch.Tensor, operator: Operator, k: int, start: int = 0) -> torch.Tensor:
        return torch.stack([solve_with_seed(seed + i)(y, operator) for i in range(start, k)])
    return draws


@dataclass
class Context:
    """Where a solver finds what it needs: the dataset (for train-split statistics) and its weights."""

    dataset: str
    data_root: str | Path | None = None
    checkpoints: Path = field(default_factory=default_checkpoints)  # $INVDRIFT_CHECKPOINTS or the shipped folder
    seed: int = 0
    tuning_images: int = 64
    bf16: bool = False  # network evaluations (DDPM, trained restorers) in bfloat16 (precision.py)
    _cache: dict = field(default_factory=dict, repr=False)

    def train_images(self, limit: int = 10_000) -> torch.Tensor:
        """The first `limit` images of the train split (statistics and tuning only)."""
        key = ("train", limit)
        if key not in self._cache:
            from ..data import to_float, load_uint8

            images, _ = load_uint8(self.dataset, "train", self.data_root)
            self._cache[key] = to_float(images[:limit])
        return self._cache[key]

    def cached(self, key, build: Callable):
        """Memoise an expensive value (statistics, tuned hyper-parameters) for this context."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]
