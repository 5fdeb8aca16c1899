"""Load a shipped model by kind and dataset: verified weights, built from its recorded config."""

from __future__ import annotations

from pathlib import Path

import torch

from .architectures import build_network
from .checkpoint import checkpoint_label, default_checkpoints, load_into, load_model_weights


def weights_path(kind: str, dataset: str, checkpoints: str | Path | None = None) -> Path:
    return Path(checkpoints or default_checkpoints()) / f"{kind}-{Path(dataset).name}.safetensors"


def load_trained(kind: str, dataset: str, checkpoints: str | Path | None = None
                 ) -> tuple[torch.nn.Module, dict, str]:
    """(model in eval mode with frozen weights, its config, 'file@sha' label)."""
    path = weights_path(kind, dataset, checkpoints)
    state, config = load_model_weights(path, kind, dataset)
    model = build_network(kind, config, str(path))
    load_into(model, state, path)
    model.eval().requires_grad_(False)
    return model, config, checkpoint_label(path)


def load_ddpm(dataset: str, checkpoints: str | Path | None = None, bf16: bool = False):
    """(shipped DDPM ε-network, in bf16 if asked, its noise schedule, 'file@sha' label)."""
    from .precision import with_precision
    from .priors.ddpm import Schedule

    model, config, label = load_trained("ddpm", dataset, checkpoints)
    return with_precision(model, bf16), Schedule.linear(config["T"], config["beta_start"], config["beta_end"]), label
