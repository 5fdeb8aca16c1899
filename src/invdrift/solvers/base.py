"""What every solver shares: the call signature, its cost, and the context it is built from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from ..operators import Operator

SolveFn = Callable[[torch.Tensor, Operator], torch.Tensor]


@dataclass
class Solver:
    """A restoration method: `solver(y, operator) -> x̂`, with its cost per image and its weights."""

    name: str
    solve: SolveFn
    nfe: int = 0
    checkpoint: str = ""

    def __call__(self, y: torch.Tensor, operator: Operator) -> torch.Tensor:
        operator.check_measurement(y)
        return self.solve(y, operator)


@dataclass
class Context:
    """Where a solver finds what it needs: the dataset (for train-split statistics) and its weights."""

    dataset: str
    data_root: str | Path | None = None
    checkpoints: Path = Path("checkpoints")
    seed: int = 0
    tuning_images: int = 64
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
