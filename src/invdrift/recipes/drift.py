"""Unconditional drifting generator: f(ε) trained with the drift loss on pixel or classifier features."""

from __future__ import annotations

import torch

from .. import data
from ..priors import drift_features
from ..priors.drifting import drift_loss
from .base import Recipe, local_batch, sample_batch


def feature_function(config: dict, checkpoints=None) -> drift_features.FeatureFn:
    """Pixel features, or pixel + frozen classifier features (`features: classifier`)."""
    if config["features"] == "pixels":
        return drift_features.pixel_features
    from ..models import load_trained

    classifier, _, _ = load_trained("classifier", config["dataset"], checkpoints)
    return drift_features.encoder_features(classifier)


def generator_defaults(dataset: str) -> dict:
    """The settings every unconditional drifting generator starts from, in pixels or in a latent."""
    c, h, _ = data.SHAPES.get(dataset, (3, 32, 32))
    return {"seed": 0, "steps": 3000, "batch_size": 256, "positives": 256, "lr": 1e-3, "warmup": 200,
            "clip": 2.0, "ema": 0.999, "betas": [0.9, 0.95], "weight_decay": 0.0, "ckpt_every": 100,
            "log_every": 20, "train_limit": 0, "noise_dim": 64, "width": 96 if dataset == "cifar10" else 64,
            "channels": c, "size": h, "temperatures": [0.02, 0.05, 0.2], "eval_samples": 10_000}


class FeatureRecipe(Recipe):
    """A recipe whose loss compares features (`config["features"]`) with the drifting kernel."""

    def setup(self, config, data_root, dist):
        env = super().setup(config, data_root, dist)
        env["features"] = feature_function(config)
        return env


class DriftRecipe(FeatureRecipe):
    kind = "drift"

    def defaults(self, dataset: str) -> dict:
        return generator_defaults(dataset) | {"features": "classifier" if dataset == "cifar10" else "pixels"}


    def loss(self, model, env, step, generator, dist):
        config = env["config"]
        noise = torch.randn(local_batch(config, dist), config["noise_dim"], generator=generator)
        positives, _ = sample_batch(env, max(1, config["positives"] // dist.world), generator)
        generated = model(noise)
        with torch.no_grad():
            pos_features = env["features"](positives)
        loss, info = drift_loss(env["features"](generated), pos_features, tuple(config["temperatures"]))
        return loss, {k: round(v, 5) for k, v in info.items() if k.startswith("f0_")}

    @torch.no_grad()
    def evaluate(self, model, env, config) -> dict:
        from ..evaluation import generator_report

        return generator_report(model, config["dataset"], env["data_root"], n=config["eval_samples"])
