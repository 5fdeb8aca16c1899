"""The table of methods: name → how to build it and which tasks it applies to."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from ..errors import InvdriftError
from ..operators import TASKS, Operator
from ..specs import split_specs
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
    params: dict[str, type] = field(default_factory=dict)  # method parameters (`NAME:key=value`) and their types

    def needs(self, dataset: str) -> list[str]:
        return [w.format(dataset=dataset) for w in self.weights]


METHODS: dict[str, Method] = {}


def register(method: Method) -> None:
    METHODS[method.name] = method


def flag(text: str) -> int:
    """A 0/1 method parameter ('0', '1', 'false', 'true')."""
    value = {"0": 0, "1": 1, "false": 0, "true": 1}.get(text.strip().lower())
    if value is None:
        raise ValueError(text)
    return value


def observed_fill(text: str) -> str:
    """The fill of inpainting's observed pixels in a sampler's draws (`generative.OBSERVED_FILLS`)."""
    if text not in generative.OBSERVED_FILLS:
        raise ValueError(text)
    return text


def positive(text: str) -> float:
    """A method parameter that must be a positive finite number."""
    value = float(text)
    if not 0 < value < float("inf"):
        raise ValueError(text)
    return value


def number(text: str) -> float:
    """A method parameter that must be a finite number (its sign is checked by `split_method`)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def unit(text: str) -> float:
    """A method parameter that must be a number in [0, 1] (a share of noise, as DDRM's η or DiffPIR's ζ)."""
    value = float(text)
    if not 0 <= value <= 1:
        raise ValueError(text)
    return value


STEP_RANGES = {"steps": (1, 1000), "t_start": (0, 999)}  # the shipped DDPMs' 1000 steps, t = 0 … 999
PARAM_KINDS = {flag: "0 or 1", observed_fill: "one of " + ", ".join(generative.OBSERVED_FILLS),
               positive: "a positive number", number: "a finite number", unit: "a number in [0, 1]",
               int: "a whole number"}

# the trained one-step samplers: input noise × s (1: as trained); the fill of inpainting's observed pixels
# (default saturated); τ of a data-consistency step after the network (default: none)
SAMPLER_PARAMS = {"noise_scale": number, "observed": observed_fill, "dc": positive}

register(Method("pinv", classical.build_pinv))
register(Method("bicubic", classical.build_bicubic, ("sr2", "sr4")))
register(Method("wiener", classical.build_wiener, ("denoise", "deblur"),
                weights=("classical-{dataset}.safetensors",)))
register(Method("tikhonov", classical.build_tikhonov, weights=("classical-{dataset}.safetensors",)))
register(Method("regression", generative.build_restorer("regression"), group="learned",
                weights=("regression-{dataset}.safetensors",)))
register(Method("drift-cond", generative.build_restorer("drift-cond"), group="drifting",
                weights=("drift-cond-{dataset}.safetensors",), params=SAMPLER_PARAMS))
register(Method("drift-cond-mean8", generative.build_restorer("drift-cond", samples=8), group="drifting",
                weights=("drift-cond-{dataset}.safetensors",), params=SAMPLER_PARAMS))
register(Method("regression-family", generative.build_restorer("regression-family"), group="family",
                weights=("regression-family-{dataset}.safetensors",)))
register(Method("drift-cond-family", generative.build_restorer("drift-cond-family"), group="family",
                weights=("drift-cond-family-{dataset}.safetensors",), params=SAMPLER_PARAMS))
register(Method("drift-cond-family-mean8", generative.build_restorer("drift-cond-family", samples=8), group="family",
                weights=("drift-cond-family-{dataset}.safetensors",), params=SAMPLER_PARAMS))
register(Method("tweedie", generative.build_tweedie, ("denoise",), group="diffusion",
                weights=("ddpm-{dataset}.safetensors",), demo=False))


DIFFUSION_PARAMS = {"sdedit": {"t_start": int, "steps": int}, "scoreald": {"weight": number, "steps": int},
                    "dps": {"zeta": number, "steps": int, "clamp": flag},
                    "ddrm": {"steps": int, "eta": unit}, "diffpir": {"steps": int, "lam": number, "zeta": unit}}
PARAM_ALIASES = {"sdedit": {"t": "t_start"}, "diffpir": {"lambda": "lam"}}  # the names PROTOCOL.md and papers use
for _name, _params in DIFFUSION_PARAMS.items():
    register(Method(_name, generative.build_diffusion(_name), group="diffusion",
                    weights=("ddpm-{dataset}.safetensors",), demo=False, params=_params))
register(Method("drift-opt", generative.build_drift_opt("drift"), group="drifting",
                weights=("drift-{dataset}.safetensors",), demo=False))
register(Method("drift-cond-latent", generative.build_restorer("drift-cond-latent"), group="latent",
                weights=("drift-cond-latent-{dataset}.safetensors",), params=SAMPLER_PARAMS))
register(Method("drift-cond-latent-mean8", generative.build_restorer("drift-cond-latent", samples=8), group="latent",
                weights=("drift-cond-latent-{dataset}.safetensors",), params=SAMPLER_PARAMS))
register(Method("drift-opt-latent", generative.build_drift_opt("drift-latent"), group="latent",
                weights=("drift-latent-{dataset}.safetensors",), demo=False))

GROUPS = {"classical": ("pinv", "bicubic", "wiener", "tikhonov"),
          "learned": ("regression",),
          "drifting": ("drift-cond", "drift-cond-mean8", "drift-opt"),
          "diffusion": ("tweedie", "sdedit", "scoreald", "dps", "ddrm", "diffpir"),
          "latent": ("drift-cond-latent", "drift-cond-latent-mean8", "drift-opt-latent"),
          "family": ("regression-family", "drift-cond-family", "drift-cond-family-mean8")}


def split_method(spec: str) -> tuple[str, dict]:
    """'ddrm:steps=50,eta=0.5' → ('ddrm', {'steps': 50, 'eta': 0.5}); checks keys, types and ranges."""
    name, _, rest = spec.partition(":")
    if name not in METHODS:
        raise InvdriftError(f"unknown method {name!r}: use one of {', '.join(METHODS)} or a group "
                            f"({', '.join(GROUPS)}, all)")
    allowed = METHODS[name].params
    params: dict = {}
    for pair in (p for p in rest.split(",") if p) if rest else []:
        key, eq, value = pair.partition("=")
        key = PARAM_ALIASES.get(name, {}).get(key, key)
        if not eq or key not in allowed:
            known = ", ".join(allowed) or "none"
            raise InvdriftError(f"{spec!r}: unknown parameter {key!r} for {name} (known: {known})")
        try:
            params[key] = allowed[key](value)
        except ValueError:
            kind = PARAM_KINDS.get(allowed[key], f"a {allowed[key].__name__}")
            raise InvdriftError(f"{spec!r}: {key} must be {kind}, got {value!r}") from None
        if isinstance(params[key], str):  # a named choice has no range
            continue
        low, high = STEP_RANGES.get(key, (0, float("inf")))
        if not low <= params[key] <= high:
            raise InvdriftError(f"{spec!r}: {key}={value} is out of range")
    return name, params


def method_of(spec: str) -> Method:
    """The registered method behind a name with parameters."""
    return METHODS[split_method(spec)[0]]


def resolve(names: str) -> list[str]:
    """Expand a comma list of method names, with parameters (`ddrm:steps=50,eta=0.5,dps`) and groups
    (`classical`, `all`); reject unknown names and parameters."""
    out: list[str] = []
    for name in split_specs(names):
        if name == "all":
            expanded = list(METHODS)
        elif name in GROUPS:
            expanded = list(GROUPS[name])
        else:
            split_method(name)
            expanded = [name]
        out += [m for m in expanded if m not in out]
    if not out:
        raise InvdriftError("no method given")
    return out


def build(spec: str, ctx: Context, op: Operator) -> Solver:
    """Build method `spec` (a name, optionally with parameters) for the operator's task."""
    name, params = split_method(spec)
    method = METHODS[name]
    if op.task not in method.tasks:
        raise InvdriftError(f"{name} does not apply to {op.task} (only {', '.join(method.tasks)})")
    solver = method.build(ctx, op, **params) if params else method.build(ctx, op)
    solver.name = spec
    return solver
