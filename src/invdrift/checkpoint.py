"""Weights and training state as safetensors + JSON (never pickle), written atomically.

A shipped model is `NAME.safetensors` (EMA weights) plus `NAME.json` (kind, dataset, architecture,
training command, data, seed, and the SHA-256 of the weights file, checked on every load).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .errors import InvdriftError
from .fileio import atomic_path, sha256_file, write_text_atomic


def default_checkpoints() -> Path:
    """$INVDRIFT_CHECKPOINTS, else the repository's checkpoints/ folder, else ./checkpoints."""
    if os.environ.get("INVDRIFT_CHECKPOINTS"):
        return Path(os.environ["INVDRIFT_CHECKPOINTS"])
    repo = Path(__file__).resolve().parents[2] / "checkpoints"
    return repo if repo.is_dir() else Path("checkpoints")


def save_tensors(path: str | Path, tensors: dict[str, torch.Tensor]) -> None:
    """Save a flat dict of tensors atomically."""
    with atomic_path(path) as tmp:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))


def load_tensors(path: str | Path, what: str = "weights file") -> dict[str, torch.Tensor]:
    """Load a safetensors file with one clear error for missing, truncated or corrupted files (`what`
    names the file in it)."""
    path = Path(path)
    if not path.is_file():
        raise InvdriftError(f"{what} {path} not found")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvdriftError(f"{what} {path} is truncated or corrupted ({detail})") from None


def export_model(path: str | Path, state: dict[str, torch.Tensor], config: dict) -> Path:
    """Write shipped weights and their JSON config (with the SHA-256 of the weights)."""
    path = Path(path).with_suffix(".safetensors")
    save_tensors(path, state)
    write_config(path, dict(config, sha256=sha256_file(path), weights=path.name))
    return path


def write_config(path: str | Path, config: dict) -> None:
    """Write (atomically) the JSON config beside a weights file."""
    write_text_atomic(Path(path).with_suffix(".json"), json.dumps(config, indent=1, sort_keys=True) + "\n")


def read_config(path: str | Path) -> dict:
    """The JSON config beside a weights file."""
    config_path = Path(path).with_suffix(".json")
    if not config_path.is_file():
        raise InvdriftError(f"config {config_path} not found (every weights file needs its JSON config)")
    try:
        return json.loads(config_path.read_text())
    except ValueError as exc:
        raise InvdriftError(f"config {config_path} is not valid JSON ({exc})") from None


def load_model_weights(path: str | Path, kind: str | tuple[str, ...] | None = None, dataset: str | None = None,
                       ) -> tuple[dict[str, torch.Tensor], dict]:
    """Verified weights and config: SHA-256 as recorded, and the expected kind (or one of several) and dataset."""
    path = Path(path).with_suffix(".safetensors")
    if not path.is_file():
        raise InvdriftError(f"weights file {path} not found")
    config = read_config(path)
    recorded = config.get("sha256")
    if recorded and sha256_file(path) != recorded:
        raise InvdriftError(f"weights file {path} does not match the SHA-256 recorded in its config "
                            "(corrupted or replaced)")
    kinds = (kind,) if isinstance(kind, str) else kind
    if kinds is not None and config.get("kind") not in kinds:
        raise InvdriftError(f"weights file {path} holds a {config.get('kind')!r} model, expected "
                            + " or ".join(repr(k) for k in kinds))
    if dataset is not None and config.get("dataset") != dataset:
        raise InvdriftError(f"weights file {path} was trained on {config.get('dataset')!r}, expected {dataset!r}")
    return load_tensors(path), config


def load_into(module: torch.nn.Module, state: dict[str, torch.Tensor], path: str | Path) -> None:
    """Load a state dict, turning missing keys or shape mismatches into one clear error."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    extra = sorted(set(state) - set(own))
    wrong = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or extra or wrong:
        parts = []
        if missing:
            parts.append(f"missing {missing[0]}" + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
        if extra:
            parts.append(f"unexpected {extra[0]}" + (f" and {len(extra) - 1} more" if len(extra) > 1 else ""))
        if wrong:
            parts.append(f"shape of {wrong[0]} is {tuple(state[wrong[0]].shape)}, expected {tuple(own[wrong[0]].shape)}")
        raise InvdriftError(f"weights file {path} does not fit this architecture: " + "; ".join(parts))
    module.load_state_dict(state)


def weights_label(name: str, sha256: str) -> str:
    """'file.safetensors@sha256prefix': how result tables and records name a weights file's content."""
    return f"{name}@{sha256[:12]}"


def checkpoint_label(path: str | Path) -> str:
    """The weights label of a file on disk (its SHA-256 computed now)."""
    path = Path(path).with_suffix(".safetensors")
    return weights_label(path.name, sha256_file(path))
