"""The table of methods: name → how to build it and which tasks it applies to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import InvdriftError
from ..operators import TASKS, Operator
from . import classical, generative
from .base import Context, Solver

Builder = Callable[[Context, Operator], Solver]


@dataclass(frozen=True)
class Method:
    """A registered method: its builder and the tasks it applies to."""

    name: str
    build: Builder
    tasks: tuple[str, ...] = TASKS
    group: str = "classical"
    weights: tuple[str, ...] = ()  # shipped files it needs, with {dataset} filled in
    demo: bool = True  # quick enough for `invdrift demo`

    def needs(self, dataset: str) -> list[str]:
        return [w.format(dataset=dataset) for w in self.weights]


METHODS: dict[str, Method] = {}


def register(method: Method) -> None:
    METHODS[method.name] = method


register(Method("pinv", classical.build_pinv))
register(Method("bicubic", classical.build_bicubic, ("sr2", "sr4")))
register(Method("wiener", classical.build_wiener, ("denoise", "deblur"),
                weights=("classical-{dataset}.safetensors",)))
register(Method("tikhonov", classical.build_tikhonov, weights=("classical-{dataset}.safetensors",)))
register(Method("regression", generative.build_restorer("regression"), group="learned",
                weights=("regression-{dataset}.safetensors",)))
register(Method("drift-cond", generative.build_restorer("drift-cond"), group="drifting",
                weights=("drift-cond-{dataset}.safetensors",)))
register(Method("drift-cond-mean8", generative.build_restorer("drift-cond", samples=8), group="drifting",
                weights=("drift-cond-{dataset}.safetensors",)))
register(Method("tweedie", generative.build_tweedie, ("denoise",), group="diffusion",
                weights=("ddpm-{dataset}.safetensors",), demo=False))
for _name in ("sdedit", "scoreald", "dps"):
    register(Method(_name, generative.build_diffusion(_name), group="diffusion",
                    weights=("ddpm-{dataset}.safetensors",), demo=False))
register(Method("drift-opt", generative.build_drift_opt("drift"), group="drifting",
                weights=("drift-{dataset}.safetensors",), demo=False))
register(Method("drift-cond-latent", generative.build_restorer("drift-cond-latent"), group="latent",
                weights=("drift-cond-latent-{dataset}.safetensors",)))
register(Method("drift-cond-latent-mean8", generative.build_restorer("drift-cond-latent", samples=8), group="latent",
                weights=("drift-cond-latent-{dataset}.safetensors",)))
register(Method("drift-opt-latent", generative.build_drift_opt("drift-latent"), group="latent",
                weights=("drift-latent-{dataset}.safetensors",), demo=False))

GROUPS = {"classical": ("pinv", "bicubic", "wiener", "tikhonov"),
          "learned": ("regression",),
          "drifting": ("drift-cond", "drift-cond-mean8", "drift-opt"),
          "diffusion": ("tweedie", "sdedit", "scoreald", "dps"),
          "latent": ("drift-cond-latent", "drift-cond-latent-mean8", "drift-opt-latent")}


def resolve(names: str) -> list[str]:
    """Expand a comma list of method names and groups ('classical', 'all'); reject unknown names."""
    out: list[str] = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name == "all":
            expanded = list(METHODS)
        elif name in GROUPS:
            expanded = list(GROUPS[name])
        elif name in METHODS:
            expanded = [name]
        else:
            raise InvdriftError(f"unknown method {name!r}: use one of {', '.join(METHODS)} "
                                f"or a group ({', '.join(GROUPS)}, all)")
        out += [m for m in expanded if m not in out]
    if not out:
        raise InvdriftError("no method given")
    return out


def build(name: str, ctx: Context, op: Operator) -> Solver:
    """Build method `name` for the operator's task."""
    method = METHODS[name]
    if op.task not in method.tasks:
        raise InvdriftError(f"{name} does not apply to {op.task} (only {', '.join(method.tasks)})")
    return method.build(ctx, op)
