"""The DDPM-prior solvers by name: one factory for bench, restore and tuning."""

from __future__ import annotations

from ..priors.ddpm import EpsModel, Schedule

FAST = ("ddrm", "diffpir")
ANCESTRAL = ("sdedit", "scoreald", "dps")


def make_diffusion_solver(method: str, model: EpsModel, schedule: Schedule, seed: int, settings: dict):
    """sdedit, scoreald, dps (1000-step ancestral), ddrm or diffpir (strided) with the given settings."""
    if method == "ddrm":
        from .ddrm import DDRM

        return DDRM(model, schedule, seed=seed, **settings)
    if method == "diffpir":
        from .diffpir import DiffPIR

        return DiffPIR(model, schedule, seed=seed, **settings)
    from .diffusion import DiffusionSolver

    return DiffusionSolver(model, schedule, method, seed=seed, **settings)
