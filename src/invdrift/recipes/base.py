"""What a training recipe provides to the loop in train.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .. import data


class Recipe:
    """Base recipe: subclasses set `kind` and implement defaults, build, loss and evaluate."""

    kind = ""

    def defaults(self, dataset: str) -> dict:
        raise NotImplementedError

    def configure(self, config: dict) -> None:
        """Fill settings that depend on other shipped models (before the config is fixed)."""

    def build(self, config: dict) -> torch.nn.Module:
        """The recipe's network, as `invdrift.architectures` builds it for this kind."""
        from ..architectures import build_network

        return build_network(self.kind, config)

    def initialise(self, model: torch.nn.Module, config: dict) -> None:
        """Load frozen parts from other shipped models into a freshly built model (training only)."""

    def setup(self, config: dict, data_root, dist) -> dict[str, Any]:
        """Load what the loss needs (by default the train split as uint8 [N,C,H,W])."""
        images, labels = data.load_uint8(config["dataset"], "train", data_root)
        images = torch.from_numpy(images)
        images = images[:, None] if images.ndim == 3 else images.permute(0, 3, 1, 2).contiguous()
        limit = config.get("train_limit") or len(images)
        return {"images": images[:limit], "labels": torch.from_numpy(labels.astype("int64"))[:limit],
                "data_root": data_root, "config": config}

    def loss(self, model, env: dict, step: int, generator: torch.Generator, dist) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    def evaluate(self, model, env: dict, config: dict) -> dict:
        return {}

    def data_description(self, config: dict, data_root) -> str:
        limit = config.get("train_limit")
        part = f"first {limit} images of " if limit else ""
        return f"{part}{config['dataset']} train split" + (f" from {Path(data_root).name}" if data_root else "")


def sample_batch(env: dict, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """A random batch of train images (float in [0, 1]) and labels."""
    idx = torch.randint(len(env["images"]), (batch_size,), generator=generator)
    return env["images"][idx].float() / 255.0, env["labels"][idx]


def local_batch(config: dict, dist) -> int:
    """This rank's share of the global batch."""
    return max(1, config["batch_size"] // dist.world)
