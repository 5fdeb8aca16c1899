"""Autoencoder recipe: reconstruction with noise-augmented latents (decoder robust to generated latents),
a small penalty keeping latents of order one, and reconstruction PSNR on test images 0–999 at the end."""

from __future__ import annotations

import torch

from .. import data, metrics
from ..nets.autoencoder import Autoencoder
from .base import Recipe, local_batch, sample_batch


class AutoencoderRecipe(Recipe):
    kind = "autoencoder"

    def defaults(self, dataset: str) -> dict:
        cifar = dataset == "cifar10"
        c, h, _ = data.SHAPES.get(dataset, (3, 32, 32))
        return {"seed": 0, "steps": 4000, "batch_size": 128, "lr": 1e-3, "warmup": 200, "clip": 1.0,
                "ema": 0.999, "betas": [0.9, 0.99], "weight_decay": 0.0, "ckpt_every": 200, "log_every": 50,
                "train_limit": 0, "channels": c, "size": h, "width": 48 if cifar else 32,
                "latent_channels": 8 if cifar else 4, "latent_noise": 0.1, "latent_penalty": 1e-3}

    def build(self, config: dict) -> Autoencoder:
        return Autoencoder(config["channels"], config["width"], config["latent_channels"])

    def loss(self, model, env, step, generator, dist):
        config = env["config"]
        x, _ = sample_batch(env, local_batch(config, dist), generator)
        size = config["size"] // 4
        noise = config["latent_noise"] * torch.randn(len(x), config["latent_channels"], size, size, generator=generator)
        recon, z = model(x, noise)  # through __call__, so DistributedDataParallel syncs gradients
        mse = (recon - x).pow(2).mean()
        penalty = (z.pow(2).mean() - 1).clamp_min(0)  # latents of order one, no collapse to huge scales
        return mse + config["latent_penalty"] * penalty, {"mse": mse.item(), "latent_rms": z.pow(2).mean().sqrt().item()}

    @torch.no_grad()
    def evaluate(self, model, env, config) -> dict:
        x, _ = data.load_slice(config["dataset"], "test", 0, 1000, env["data_root"])
        recon = torch.cat([model(chunk)[0] for chunk in x.split(250)])
        return {"test_psnr_0_999": round(metrics.psnr(recon, x).mean().item(), 3)}
