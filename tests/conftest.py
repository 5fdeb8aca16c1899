"""Shared fixtures: the offline data copies (if present) and a scratch cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("INVDRIFT_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture
def data_root() -> Path:
    """The folder with mnist.npz and cifar10.zip; tests needing real data skip without it."""
    if not (SHARED_DATA / "mnist.npz").is_file():
        pytest.skip("real data not available (set INVDRIFT_DATA)")
    return SHARED_DATA


@pytest.fixture
def offline(tmp_path, monkeypatch) -> Path:
    """An empty data/cache environment with downloads switched off."""
    monkeypatch.setenv("INVDRIFT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("INVDRIFT_DATA", raising=False)
    monkeypatch.setenv("INVDRIFT_OFFLINE", "1")
    return tmp_path


@pytest.fixture
def shipped_subset(tmp_path):
    """copy(*kinds) → a checkpoints folder in tmp_path holding only those shipped weights (+ JSON)."""
    import shutil

    def copy(*kinds: str) -> Path:
        folder = tmp_path / "checkpoints"
        folder.mkdir(exist_ok=True)
        for kind in kinds:
            for suffix in (".safetensors", ".json"):
                shutil.copy(Path(__file__).resolve().parents[1] / "checkpoints" / f"{kind}{suffix}", folder)
        return folder
    return copy
