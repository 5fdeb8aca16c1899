"""Operator parameters (PROTOCOL.md v2): `TASK[:key=value,...]`, e.g. `deblur:std=2.0,sigma=0.1`.

Keys: `sigma` (every task), `std` and `size` (deblur kernel std and side), `missing` (inpaint_random),
`size` (inpaint_box side). Without parameters a task is exactly its v1 definition. A blur with a new
`std` and no `size` gets the side 2⌈3·std − ½⌉ + 1 (9 for the v1 std 1.5).
"""

from __future__ import annotations

import math

from .errors import InvdriftError

TASKS = ("denoise", "deblur", "sr2", "sr4", "inpaint_box", "inpaint_random")
SIGMAS = {"denoise": 0.20, "deblur": 0.05, "sr2": 0.01, "sr4": 0.01,
          "inpaint_box": 0.01, "inpaint_random": 0.01}
BLUR_STD, BLUR_SIZE = 1.5, 9
MISSING_PROBABILITY = 0.7
KEYS = {"denoise": ("sigma",), "deblur": ("sigma", "std", "size"), "sr2": ("sigma",), "sr4": ("sigma",),
        "inpaint_box": ("sigma", "size"), "inpaint_random": ("sigma", "missing")}
INTEGER_KEYS = ("size",)


def kernel_side(std: float) -> int:
    """The blur kernel side for a standard deviation: odd, covering about ±3 std."""
    return 2 * math.ceil(3 * std - 0.5) + 1


def split_task(spec: str) -> tuple[str, dict]:
    """'deblur:std=2,sigma=0.1' → ('deblur', {'std': 2.0, 'sigma': 0.1}): known keys and numbers only."""
    task, _, rest = spec.strip().partition(":")
    if task not in TASKS:
        raise InvdriftError(f"unknown task {task!r}: use one of {', '.join(TASKS)} (parameters after a colon, "
                            "e.g. deblur:std=2.0,sigma=0.1)")
    params: dict = {}
    for pair in (p.strip() for p in rest.split(",") if p.strip()):
        key, eq, value = pair.partition("=")
        key = key.strip()
        if not eq or key not in KEYS[task]:
            raise InvdriftError(f"{spec!r}: unknown parameter {key!r} for {task} (known: {', '.join(KEYS[task])})")
        try:
            number = float(value)
        except ValueError:
            raise InvdriftError(f"{spec!r}: {key} must be a number, got {value.strip()!r}") from None
        if key in INTEGER_KEYS:
            if number != int(number):
                raise InvdriftError(f"{spec!r}: {key} must be a whole number of pixels, got {value.strip()!r}")
            number = int(number)
        params[key] = number
    return task, params


def defaults(task: str, shape: tuple[int, int, int]) -> dict:
    """The v1 parameters of a task on images of `shape`."""
    out: dict = {"sigma": SIGMAS[task]}
    if task == "deblur":
        out |= {"std": BLUR_STD, "size": BLUR_SIZE}
    elif task == "inpaint_box":
        out["size"] = shape[1] // 2
    elif task == "inpaint_random":
        out["missing"] = MISSING_PROBABILITY
    return out


def resolve(spec: str, shape: tuple[int, int, int]) -> tuple[str, dict]:
    """(task, every parameter with defaults filled in), range-checked for images of `shape`."""
    task, given = split_task(spec)
    params = defaults(task, shape) | given
    if task == "deblur" and "std" in given and "size" not in given:
        params["size"] = kernel_side(params["std"])
    side = min(shape[1], shape[2])
    limits = {"sigma": (0.0, 100.0), "std": (0.1, side / 2), "missing": (0.0, 0.99),
              "size": (1, side) if task == "deblur" else (1, side - 1)}
    for key, value in params.items():
        low, high = limits[key]
        if not low <= value <= high or (task == "deblur" and key == "size" and value % 2 == 0):
            kind = "an odd value" if task == "deblur" and key == "size" else "a value"
            raise InvdriftError(f"{spec!r}: {key}={value} is out of range for {shape[1]}×{shape[2]} images "
                                f"({key} must be {kind} in [{low:g}, {high:g}])")
    return task, params


def full_spec(task: str, params: dict) -> str:
    """Every parameter, sorted: 'deblur:sigma=0.05,size=9,std=1.5' (the `operator` column)."""
    return task + ":" + ",".join(f"{k}={params[k]:g}" for k in sorted(params))


def short_spec(task: str, params: dict, shape: tuple[int, int, int]) -> str:
    """Only what differs from v1, so that `resolve` gives the same operator back: 'deblur' for the v1
    blur, 'deblur:std=2' for std 2 with its implied side, 'deblur:size=9,std=2' to keep the v1 side."""
    base = defaults(task, shape)
    moved = {k: v for k, v in params.items() if v != base[k] and not (task == "deblur" and k == "size")}
    if task == "deblur":
        implied = kernel_side(params["std"]) if "std" in moved else BLUR_SIZE
        if params["size"] != implied:
            moved["size"] = params["size"]
    return task + (":" + ",".join(f"{k}={moved[k]:g}" for k in sorted(moved)) if moved else "")
