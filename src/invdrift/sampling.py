"""Unconditional samples from any shipped generative model (drifting generator or DDPM)."""

from __future__ import annotations

import torch

from .errors import InvdriftError
from .priors.ddpm import Schedule, sample_ancestral, sample_ddim

SAMPLERS = ("ancestral", "ddim50")
ONE_STEP = ("drift", "drift-latent")


def generate(kind: str, model: torch.nn.Module, config: dict, n: int, generator: torch.Generator,
             sampler: str = "ancestral", batch: int = 256) -> tuple[torch.Tensor, int]:
    """n images in [0, 1] and the network evaluations per image."""
    if kind in ONE_STEP:
        return torch.cat([model.sample(min(batch, n - i), generator) for i in range(0, n, batch)]), 1
    if kind == "ddpm":
        schedule = Schedule.linear(config["T"], config["beta_start"], config["beta_end"])
        shape = (config["channels"], config["size"], config["size"])
        out = []
        for i in range(0, n, batch):
            size = (min(batch, n - i), *shape)
            if sampler == "ancestral":
                x = sample_ancestral(model, schedule, size, generator)
            elif sampler == "ddim50":
                x = sample_ddim(model, schedule, size, 50, generator)
            else:
                raise InvdriftError(f"unknown sampler {sampler!r}: use {', '.join(SAMPLERS)}")
            out.append(((x + 1) / 2).clamp(0, 1))
        return torch.cat(out), (schedule.T if sampler == "ancestral" else 50)
    raise InvdriftError(f"{kind} is not an unconditional generative model (use drift, drift-latent or ddpm)")
