"""Builders for the methods that use the project's trained generative models."""

from __future__ import annotations

from ..models import load_trained
from ..operators import Operator
from .base import Context, Solver
from .latent_opt import LatentOptimiser


def build_drift_opt(ctx: Context, op: Operator) -> Solver:
    generator, config, label = load_trained("drift", ctx.dataset, ctx.checkpoints)
    optimiser = LatentOptimiser(generator, config["noise_dim"], seed=ctx.seed)
    return Solver("drift-opt", optimiser, nfe=optimiser.nfe, checkpoint=label)
