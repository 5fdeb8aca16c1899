"""The DDPM-prior solvers by name: one factory for bench, restore and tuning."""

from __future__ import annotations

from ..operators import Operator
from ..priors.ddpm import EpsModel, Schedule

FAST = ("ddrm", "diffpir")
ANCESTRAL = ("sdedit", "scoreald", "dps")


def make_diffusion_solver(method: str, model: EpsModel, schedule: Schedule, seed: int, settings: dict,
                          op: Operator | None = None):
    """sdedit, scoreald, dps (1000-step ancestral), ddrm or diffpir (strided) with the given settings,
    for the operator `op` when the method adapts to it (SDEdit starts from A†y's own noise level)."""
    if method == "ddrm":
        from .ddrm import DDRM

        return DDRM(model, schedule, seed=seed, **settings)
    if method == "diffpir":
        from .diffpir import DiffPIR

        return DiffPIR(model, schedule, seed=seed, **settings)
    from .diffusion import DiffusionSolver

    carried = op.pinv_noise() if op is not None and method == "sdedit" else None
    if carried:
        settings = settings | {"carried_noise": 2 * carried}  # image scale → diffusion scale [−1, 1]
    return DiffusionSolver(model, schedule, method, seed=seed, **settings)
