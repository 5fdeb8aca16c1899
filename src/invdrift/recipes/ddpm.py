"""DDPM recipe: ε-prediction MSE at uniformly drawn steps (T = 1000, linear β)."""

from __future__ import annotations

import torch

from .. import data
from ..priors.ddpm import Schedule, q_sample
from .base import Recipe, local_batch, sample_batch


class DDPMRecipe(Recipe):
    kind = "ddpm"

    def defaults(self, dataset: str) -> dict:
        c, h, _ = data.SHAPES.get(dataset, (3, 32, 32))
        return {"seed": 0, "steps": 6000, "batch_size": 128, "lr": 5e-4, "warmup": 200, "clip": 1.0,
                "ema": 0.999, "betas": [0.9, 0.999], "weight_decay": 0.0, "ckpt_every": 200, "log_every": 50,
                "train_limit": 0, "channels": c, "size": h, "width": 32, "T": 1000, "beta_start": 1e-4,
                "beta_end": 0.02}


    def setup(self, config, data_root, dist):
        env = super().setup(config, data_root, dist)
        env["schedule"] = Schedule.linear(config["T"], config["beta_start"], config["beta_end"])
        return env

    def loss(self, model, env, step, generator, dist):
        x, _ = sample_batch(env, local_batch(env["config"], dist), generator)
        x0 = x * 2 - 1
        t = torch.randint(env["schedule"].T, (len(x0),), generator=generator)
        noise = torch.randn(x0.shape, generator=generator)
        prediction = model(q_sample(env["schedule"], x0, t, noise), t)
        return (prediction - noise).pow(2).mean(), {}
