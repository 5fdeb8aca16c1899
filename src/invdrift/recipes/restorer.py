"""Recipes for the conditional restorers: `drift-cond` (drifting on joint (x, y) features) and
`regression` (the same network trained with MSE on the same pairs and budget)."""

from __future__ import annotations

import torch

from .. import data, operators
from ..conditioning import condition
from ..nets.restorer import Restorer
from ..priors.drifting import drift_loss
from .base import Recipe, local_batch, sample_batch
from .drift import FeatureRecipe


def training_pairs(env: dict, batch: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, operators.Operator]:
    """A batch of clean train images, one task drawn for the batch, and the conditioning channels."""
    config = env["config"]
    x, _ = sample_batch(env, batch, generator)
    tasks = config["tasks"]
    task = tasks[int(torch.randint(len(tasks), (1,), generator=generator))]
    op = operators.make(task, x.shape[1:])
    y, bound = op.sample_measurement(x, generator)
    return x, condition(y, bound), bound


def _restorer_defaults(dataset: str) -> dict:
    c, h, _ = data.SHAPES.get(dataset, (3, 32, 32))
    return {"seed": 0, "steps": 1500, "batch_size": 128, "lr": 5e-4, "warmup": 100, "clip": 2.0, "ema": 0.999,
            "betas": [0.9, 0.95], "weight_decay": 0.0, "ckpt_every": 100, "log_every": 20, "train_limit": 0,
            "channels": c, "size": h, "width": 32, "tasks": list(operators.TASKS)}


class DriftCondRecipe(FeatureRecipe):
    kind = "drift-cond"

    def defaults(self, dataset: str) -> dict:
        return _restorer_defaults(dataset) | {
            "samples_per_y": 2, "beta": 1.0, "fidelity": 0.0,
            "features": "classifier" if dataset == "cifar10" else "pixels",
            "temperatures": [0.02, 0.05, 0.2]}

    def build(self, config: dict) -> Restorer:
        return Restorer(config["channels"], config["width"], stochastic=True)

    def loss(self, model, env, step, generator, dist):
        config = env["config"]
        x, cond, op = training_pairs(env, local_batch(config, dist), generator)
        k = config["samples_per_y"]
        cond_k = cond.repeat(k, 1, 1, 1)
        noise = torch.randn(len(cond_k), *x.shape[1:], generator=generator)
        x_gen = model(noise, cond_k)
        features, beta, c = env["features"], config["beta"], config["channels"]
        with torch.no_grad():
            y_feats = [f * beta for f in features(cond[:, :c])]
            positives = [torch.cat([fx, fy], -1) for fx, fy in zip(features(x), y_feats)]
            y_feats_k = [f.repeat(1, k, 1) for f in y_feats]
        generated = [torch.cat([fx, fy], -1) for fx, fy in zip(features(x_gen), y_feats_k)]
        loss, info = drift_loss(generated, positives, tuple(config["temperatures"]))
        logs = {k_: round(v, 5) for k_, v in info.items() if k_.startswith("f0_")}
        with torch.no_grad():
            logs["mse"] = (x_gen[: len(x)] - x).pow(2).mean().item()
        if config["fidelity"] > 0:
            residual = (op.A(x_gen[: len(x)]) - op.A(x)).flatten(1).pow(2).mean(1) / (2 * op.sigma ** 2)
            loss = loss + config["fidelity"] * residual.mean()
        return loss, logs | {"task": op.task}


class RegressionRecipe(Recipe):
    kind = "regression"

    def defaults(self, dataset: str) -> dict:
        return _restorer_defaults(dataset)

    def build(self, config: dict) -> Restorer:
        return Restorer(config["channels"], config["width"], stochastic=False)

    def loss(self, model, env, step, generator, dist):
        x, cond, op = training_pairs(env, local_batch(env["config"], dist), generator)
        x_hat = model(torch.zeros_like(x), cond)
        loss = (x_hat - x).pow(2).mean()
        return loss, {"task": op.task}
