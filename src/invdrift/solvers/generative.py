"""Builders for the methods that use the project's trained generative models."""

from __future__ import annotations

import torch

from ..models import load_trained
from ..operators import Operator
from .base import Context, Solver
from .latent_opt import LatentOptimiser


def build_restorer(kind: str, samples: int = 1):
    """Builder for a trained conditional restorer; with samples > 1 the estimate is their mean."""
    def build(ctx: Context, op: Operator) -> Solver:
        model, _, label = load_trained(kind, ctx.dataset, ctx.checkpoints)

        def solve(y: torch.Tensor, operator: Operator) -> torch.Tensor:
            generator = torch.Generator().manual_seed(ctx.seed)
            return model.restore(y, operator, samples, generator).mean(0)
        name = kind if samples == 1 else f"{kind}-mean{samples}"
        return Solver(name, solve, nfe=samples if model.stochastic else 1, checkpoint=label)
    return build


def build_drift_opt(ctx: Context, op: Operator) -> Solver:
    generator, config, label = load_trained("drift", ctx.dataset, ctx.checkpoints)
    optimiser = LatentOptimiser(generator, config["noise_dim"], seed=ctx.seed)
    return Solver("drift-opt", optimiser, nfe=optimiser.nfe, checkpoint=label)
