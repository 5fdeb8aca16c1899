"""Builders for the methods that use the project's trained generative models."""

from __future__ import annotations

from dataclasses import replace

import torch

from ..conditioning import keep_observed
from ..data_consistency import consistency_step
from ..models import load_ddpm, load_trained
from ..operator_family import in_family
from ..operators import Inpaint, Operator
from ..precision import bf16_autocast, precision_name
from .base import Context, Solver, reseeded_draws
from .latent_opt import LatentOptimiser


STOCHASTIC_RESTORERS = ("drift-cond", "drift-cond-latent", "drift-cond-family")  # methods that draw posterior samples


OBSERVED_FILLS = ("noisy", "own", "saturated")  # how a sampling restorer fills inpainting's observed pixels


def posterior_draws(model: torch.nn.Module, y: torch.Tensor, operator: Operator, samples: int,
                    seed: int, noise_scale: float = 1.0, observed: str = "saturated",
                    consistency: float | None = None) -> torch.Tensor:
    """`samples` restorations [K, N, C, H, W] of y, the network's input noise scaled by `noise_scale`
    (1: as trained). With `consistency` = τ each draw then takes the data-consistency step of assumed
    error τ (`data_consistency`; a sampling model against its own perturbed y). For inpainting a
    deterministic model (the posterior mean) keeps y itself on the observed pixels; a sampling model fills
    them as `observed` says:
    - "noisy": a draw from the likelihood, y + σε (the posterior of a pixel seen through noise σ under a
      flat prior);
    - "own": the network's own values (the posterior under the prior it learned);
    - "saturated" (default): the network's own value where it lies at or beyond a bound of [0, 1] (the
      images' point masses: MNIST's background is exactly 0) and y is within 3σ of that bound, y + σε
      elsewhere, where a flat prior is a fair stand-in for the image's values."""
    if observed not in OBSERVED_FILLS:
        raise ValueError(f"observed fill {observed!r}: use one of {', '.join(OBSERVED_FILLS)}")
    generator = torch.Generator().manual_seed(seed)
    x_hat = model.restore(y, operator, samples, generator, noise_scale)
    if consistency is not None:  # its perturbations are drawn after the network's draws
        x_hat = consistency_step(x_hat, y, operator, consistency, generator if model.stochastic else None)
    if observed == "own":
        return x_hat
    if not (model.stochastic and isinstance(operator, Inpaint)):
        return keep_observed(x_hat, y, operator)
    noise = operator.sigma * torch.randn(x_hat.shape, generator=generator) if operator.sigma > 0 else None
    filled = keep_observed(x_hat, y, operator, noise)  # the noise is drawn after the network's draws
    if observed == "saturated":
        return torch.where(at_a_bound_y_allows(x_hat, y, operator.sigma), x_hat, filled)
    return filled


def at_a_bound_y_allows(x_hat: torch.Tensor, y: torch.Tensor, sigma: float, tolerance: float = 3.0) -> torch.Tensor:
    """Where a draw sits at or beyond a bound of [0, 1] and the measurement y lies within `tolerance`·σ of
    that bound (so the likelihood does not rule out the image's point mass there)."""
    bound = x_hat.clamp(0, 1)
    return ((x_hat <= 0) | (x_hat >= 1)) & ((y - bound).abs() <= tolerance * sigma)


def build_restorer(kind: str, samples: int = 1):
    """Builder for a trained conditional restorer; with samples > 1 the estimate is their mean. A
    sampling restorer takes the method parameters `noise_scale` (its input noise × s; default 1),
    `observed` (the fill of inpainting's observed pixels, `posterior_draws`; default saturated) and `dc`
    (τ of a data-consistency step after the network, `data_consistency`; default none)."""
    def build(ctx: Context, op: Operator, noise_scale: float = 1.0, observed: str = "saturated",
              dc: float | None = None) -> Solver:
        model, _, label = load_trained(kind, ctx.dataset, ctx.checkpoints)

        def draws(y: torch.Tensor, operator: Operator, k: int, start: int = 0) -> torch.Tensor:
            with bf16_autocast(ctx.bf16):  # one network evaluation draws all K: no saving in skipping some
                return posterior_draws(model, y, operator, k, ctx.seed, noise_scale, observed, dc)[start:].float()

        def solve(y: torch.Tensor, operator: Operator) -> torch.Tensor:
            return draws(y, operator, samples).mean(0)
        name = kind if samples == 1 else f"{kind}-mean{samples}"
        sampler = draws if model.stochastic and samples == 1 else None
        trained_on = in_family if kind.endswith("-family") else (lambda o: o.is_v1)  # fixed ones: v1 only
        return Solver(name, solve, nfe=samples if model.stochastic else 1, checkpoint=label, draws=sampler,
                      precision=precision_name(ctx.bf16), trained_on=trained_on)
    return build


def build_drift_opt(kind: str = "drift"):
    """Builder for latent optimisation through a shipped one-step generator (pixel or latent space)."""
    def build(ctx: Context, op: Operator) -> Solver:
        generator, config, label = load_trained(kind, ctx.dataset, ctx.checkpoints)
        optimiser = LatentOptimiser(generator, config["noise_dim"], seed=ctx.seed)
        name = "drift-opt" if kind == "drift" else "drift-opt-latent"
        draws = reseeded_draws(lambda seed: replace(optimiser, seed=seed), ctx.seed)
        return Solver(name, optimiser, nfe=optimiser.nfe, checkpoint=label, draws=draws)
    return build


def build_tweedie(ctx: Context, op: Operator) -> Solver:
    from .diffusion import tweedie_denoise

    model, schedule, label = load_ddpm(ctx.dataset, ctx.checkpoints, ctx.bf16)
    return Solver("tweedie", lambda y, o: tweedie_denoise(model, schedule, y, o.sigma), nfe=1, checkpoint=label,
                  precision=precision_name(ctx.bf16))


def build_diffusion(method: str):
    """Builder for a DDPM solver with the settings tuned on train images (diffusion_tuning); method
    parameters (`ddrm:steps=50`) override them."""
    def build(ctx: Context, op: Operator, **params) -> Solver:
        from .diffusion_methods import make_diffusion_solver
        from .diffusion_tuning import settings

        model, schedule, label = load_ddpm(ctx.dataset, ctx.checkpoints, ctx.bf16)
        chosen = settings(method, op.task, ctx.dataset, ctx.checkpoints, label) | params
        solver = make_diffusion_solver(method, model, schedule, ctx.seed, chosen, op)
        draws = reseeded_draws(lambda seed: replace(solver, seed=seed), ctx.seed)
        return Solver(method, solver, nfe=solver.nfe, checkpoint=label, draws=draws,
                      precision=precision_name(ctx.bf16))
    return build
