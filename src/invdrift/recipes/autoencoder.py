"""Autoencoder recipe: reconstruction with noise-augmented latents (decoder robust to generated latents),
a linear class head on the clean latent (weight `semantic_weight`; 0 switches it off), a small penalty
keeping latents of order one, and reconstruction PSNR and head accuracy on test images 0–999 at the end."""

from __future__ import annotations

import torch

from .. import data, metrics
from .base import Recipe, local_batch, sample_batch


class AutoencoderRecipe(Recipe):
    kind = "autoencoder"

    def defaults(self, dataset: str) -> dict:
        cifar = dataset == "cifar10"
        c, h, _ = data.SHAPES.get(dataset, (3, 32, 32))
        return {"seed": 0, "steps": 4000, "batch_size": 128, "lr": 1e-3, "warmup": 200, "clip": 1.0,
                "ema": 0.999, "betas": [0.9, 0.99], "weight_decay": 0.0, "ckpt_every": 200, "log_every": 50,
                "train_limit": 0, "channels": c, "size": h, "width": 48 if cifar else 32,
                "latent_channels": 8 if cifar else 4, "latent_noise": 0.1, "latent_penalty": 1e-3,
                "semantic_weight": 0.01}


    def loss(self, model, env, step, generator, dist):
        config = env["config"]
        x, labels = sample_batch(env, local_batch(config, dist), generator)
        size = config["size"] // 4
        noise = config["latent_noise"] * torch.randn(len(x), config["latent_channels"], size, size, generator=generator)
        recon, z = model(x, noise)  # through __call__, so DistributedDataParallel syncs gradients
        mse = (recon - x).pow(2).mean()
        penalty = (z.pow(2).mean() - 1).clamp_min(0)  # latents of order one, no collapse to huge scales
        loss = mse + config["latent_penalty"] * penalty
        logs = {"mse": mse.item(), "latent_rms": z.pow(2).mean().sqrt().item()}
        if config["semantic_weight"] > 0:
            core = model.module if hasattr(model, "module") else model
            cross_entropy = torch.nn.functional.cross_entropy(core.classify(z), labels)
            loss = loss + config["semantic_weight"] * cross_entropy
            logs["cross_entropy"] = cross_entropy.item()
        return loss, logs

    @torch.no_grad()
    def evaluate(self, model, env, config) -> dict:
        x, labels = data.load_slice(config["dataset"], "test", 0, 1000, env["data_root"])
        recon, latents = (torch.cat(parts) for parts in zip(*(model(chunk) for chunk in x.split(250))))
        results = {"test_psnr_0_999": round(metrics.psnr(recon, x).mean().item(), 3)}
        if model.head is not None:
            accuracy = (model.classify(latents).argmax(1) == torch.as_tensor(labels)).float().mean()
            results["head_accuracy_0_999"] = round(accuracy.item(), 4)
        return results
