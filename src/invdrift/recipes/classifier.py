"""Classifier recipe: cross-entropy with crop/flip augmentation (CIFAR-10); test accuracy at the end."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import data
from .base import Recipe, local_batch, sample_batch


def augment(x: torch.Tensor, generator: torch.Generator, pad: int = 4, flip: bool = True) -> torch.Tensor:
    """Random crops from a reflect-padded image and random horizontal flips."""
    n, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(h)[None])[:, None, :, None].expand(n, x.shape[1], h, w + 2 * pad)
    out = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(w)[None])[:, None, None, :].expand(n, x.shape[1], h, w)
    out = out.gather(3, cols)
    if flip:
        mirror = torch.rand(n, generator=generator) < 0.5
        out = torch.where(mirror[:, None, None, None], out.flip(-1), out)
    return out


class ClassifierRecipe(Recipe):
    kind = "classifier"

    def defaults(self, dataset: str) -> dict:
        cifar = dataset == "cifar10"
        return {"seed": 0, "steps": 8000 if cifar else 1500, "batch_size": 128, "lr": 2e-3 if cifar else 1e-3,
                "warmup": 200, "clip": 5.0, "ema": 0.999, "weight_decay": 5e-4 if cifar else 0.0,
                "betas": [0.9, 0.999], "ckpt_every": 250, "log_every": 50, "train_limit": 0,
                "width": 32, "feature_dim": 128, "augment": cifar,
                "channels": data.SHAPES.get(dataset, (3,))[0]}


    def loss(self, model, env, step, generator, dist):
        x, labels = sample_batch(env, local_batch(env["config"], dist), generator)
        if env["config"]["augment"]:
            x = augment(x, generator)
        logits = model(x)
        loss = F.cross_entropy(logits, labels)
        return loss, {"train_acc": (logits.argmax(1) == labels).float().mean().item()}

    @torch.no_grad()
    def evaluate(self, model, env, config) -> dict:
        images, labels = data.load(config["dataset"], "test", env["data_root"])
        predictions = torch.cat([model(chunk).argmax(1) for chunk in images.split(500)])
        return {"test_accuracy": round((predictions == labels).float().mean().item(), 5)}
