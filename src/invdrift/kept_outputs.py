"""A bench's restorations kept on disk (`bench --keep-outputs DIR`), for analyses on the same images
that the rows' means cannot give, such as the scatter of fd (scripts/fd_bootstrap.py).

One file per row: DIR/DATASET--OPERATOR--METHOD.safetensors holding `x_hat` (the clamped estimates, float32
[N, C, H, W], exactly what the row was scored on) and `indices` (their test-image indices)."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from .checkpoint import load_tensors, save_tensors
from .errors import InvdriftError


def outputs_path(folder: str | Path, dataset: str, operator: str, method: str) -> Path:
    """The file of one row; characters other than letters, digits, '.', '_' and '-' become '_'."""
    name = "--".join(re.sub(r"[^A-Za-z0-9._-]", "_", part) for part in (dataset, operator, method))
    return Path(folder) / f"{name}.safetensors"


def keep(folder: str | Path, dataset: str, operator: str, method: str, x_hat: torch.Tensor,
         indices: list[int]) -> Path:
    """Write one row's estimates and their test indices atomically; returns the file."""
    path = outputs_path(folder, dataset, operator, method)
    save_tensors(path, {"x_hat": x_hat.float(), "indices": torch.tensor(indices, dtype=torch.int64)})
    return path


def load(folder: str | Path, dataset: str, operator: str, method: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(x_hat, indices) of one row, checked to be one estimate per index."""
    path = outputs_path(folder, dataset, operator, method)
    if not path.is_file():
        raise InvdriftError(f"kept outputs {path} not found (bench --keep-outputs {folder} writes them)")
    tensors = load_tensors(path, "kept outputs")
    if set(tensors) != {"x_hat", "indices"} or len(tensors["x_hat"]) != len(tensors["indices"]):
        raise InvdriftError(f"{path} is not a kept bench output (x_hat and indices of equal length)")
    return tensors["x_hat"], tensors["indices"]
