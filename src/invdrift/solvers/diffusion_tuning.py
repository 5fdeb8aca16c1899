"""Hyper-parameters of the DDPM solvers, tuned per task on TRAIN images and stored next to the weights.

`checkpoints/diffusion-D.json` records, for sdedit (t_start), scoreald (weight), dps (zeta, with and
without clamping x̂₀), ddrm (eta) and diffpir (lam), the mean train PSNR of every candidate and the
chosen one, tied to the DDPM file it was tuned with.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvdriftError
from ..fileio import exclusive_lock, write_text_atomic
from ..operators import TASKS, make
from ..precision import precision_name, warn_if_emulated
from .base import Context
from .tuning import tune_on_train

DEFAULTS = {"sdedit": {"t_start": 300}, "scoreald": {"t_start": 999, "weight": 1.0},
            "dps": {"t_start": 999, "zeta": 1.0}, "ddrm": {"steps": 20, "eta": 0.85},
            "diffpir": {"steps": 20, "lam": 7.0, "zeta": 0.3}}


@dataclass(frozen=True)
class Grid:
    """Candidates for one method: each value of `param`, under each of the fixed `variants`."""

    param: str
    values: tuple
    variants: tuple[dict, ...] = ({},)

    def restricted(self, values: tuple | None) -> "Grid":
        """The same grid over `values` instead (None: unchanged); each must be a number."""
        return self if values is None else Grid(self.param, tuple(values), self.variants)

    def candidates(self) -> dict[str, dict]:
        """Label → settings; a label is the value alone when there is one variant ('0.3'), else
        the variant's settings then the value ('clamp=1 zeta=0.3')."""
        out = {}
        for variant in self.variants:
            for value in self.values:
                words = [f"{k}={v}" for k, v in variant.items()] + [f"{self.param}={value}"]
                out[str(value) if len(self.variants) == 1 else " ".join(words)] = variant | {self.param: value}
        return out


GRIDS = {"sdedit": Grid("t_start", (10, 25, 50, 100, 200, 400)),
         "scoreald": Grid("weight", (0.03, 0.1, 0.3, 1.0, 1.5, 2.0, 3.0, 5.0)),
         "dps": Grid("zeta", (0.01, 0.03, 0.1, 0.3, 1.0, 3.0), ({"clamp": 0}, {"clamp": 1})),
         "ddrm": Grid("eta", (0.5, 0.7, 0.85, 1.0)),
         "diffpir": Grid("lam", (0.1, 0.3, 1.0, 3.0, 7.0, 20.0))}


def tuning_path(dataset: str, checkpoints: str | Path) -> Path:
    return Path(checkpoints) / f"diffusion-{Path(dataset).name}.json"


def read_record(path: Path) -> dict | None:
    """The tuning record at `path` (None if there is none); one clear error if it is not one."""
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
        if not isinstance(record.get("methods"), dict):
            raise ValueError("no 'methods' table")
    except (ValueError, AttributeError) as exc:
        raise InvdriftError(f"{path} is not a diffusion tuning record ({exc})") from None
    return record


def settings(method: str, task: str, dataset: str, checkpoints: str | Path, ddpm_label: str) -> dict:
    """The method's settings for a task: tuned values if recorded for this DDPM, else DEFAULTS."""
    path = tuning_path(dataset, checkpoints)
    out = dict(DEFAULTS[method])
    record = read_record(path)
    tuned = record["methods"].get(method, {}).get(task) if record else None
    if tuned is None:
        return out
    if record.get("ddpm") != ddpm_label:
        raise InvdriftError(f"{path} was tuned for {record.get('ddpm')}, not {ddpm_label}: "
                            f"re-run `invdrift tune --dataset {dataset}`")
    out[tuned["param"]] = tuned["value"]
    return out | tuned.get("fixed", {})


def tune(ctx: Context, methods: list[str], tasks: list[str], images: int, command: str,
         progress=print, values: tuple | None = None) -> Path:
    """Grid-search each method on the first `images` train images per task; merge into the JSON record.

    `values` replaces the grid of the (single) method's parameter, e.g. to extend it past an edge; their
    scores join those already recorded for the same task when measured alike, and the best of all is chosen.
    """
    if values is not None and len(methods) != 1:
        raise InvdriftError("--values needs exactly one method (its candidates replace that method's grid)")
    from ..models import load_ddpm
    from .diffusion_methods import make_diffusion_solver

    model, schedule, label = load_ddpm(ctx.dataset, ctx.checkpoints, ctx.bf16)
    warn_if_emulated(ctx.bf16)
    path = tuning_path(ctx.dataset, ctx.checkpoints)
    chosen: dict[str, dict] = {}
    shape = None
    for method in methods:
        if method not in GRIDS:
            raise InvdriftError(f"nothing to tune for {method!r} (tunable: {', '.join(GRIDS)})")
        grid = GRIDS[method].restricted(values)
        candidates = grid.candidates()
        for task in tasks:
            if task not in TASKS:
                raise InvdriftError(f"unknown task {task!r}")
            shape = shape or tuple(ctx.train_images(1).shape[1:])
            op = make(task, shape)

            def make_solver(key, method=method, candidates=candidates, op=op):
                return make_diffusion_solver(method, model, schedule, ctx.seed,
                                             DEFAULTS[method] | candidates[key], op)
            _, scores = tune_on_train(ctx, op, make_solver, candidates, images,
                                      progress=lambda line, m=method, t=task: progress(f"{m} {t}{line}"))
            entry = {"param": grid.param, "images": images, "seed": ctx.seed, "precision": precision_name(ctx.bf16),
                     "command": command,
                     "train_psnr": {k: round(v, 3) if math.isfinite(v) else None for k, v in scores.items()}}
            if values is not None:
                entry = extended_entry(entry, recorded_entry(path, label, method, task))
            scored = {k: (v if v is not None else -math.inf) for k, v in entry["train_psnr"].items()}
            best = max(scored, key=scored.get)
            settings_of_best = label_settings(best, grid.param)
            fixed = {k: v for k, v in settings_of_best.items() if k != grid.param}
            chosen.setdefault(method, {})[task] = {"param": grid.param, "value": settings_of_best[grid.param],
                                                   **({"fixed": fixed} if fixed else {}), **entry}
            progress(f"{ctx.dataset} {task} {method}: {best} "
                     f"({', '.join(f'{k}: {v:.2f} dB' for k, v in scored.items())})")
    with exclusive_lock(path):
        write_text_atomic(path, json.dumps(merged_record(path, ctx.dataset, label, chosen), indent=1) + "\n")
    return path


def label_settings(label: str, param: str) -> dict:
    """A candidate's label back to its settings: '0.3' → {param: 0.3}; 'clamp=1 zeta=0.3' → {clamp: 1, zeta: 0.3}."""
    def number(text: str) -> int | float:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    words = label.split()
    if len(words) == 1 and "=" not in label:
        return {param: number(label)}
    return {key: number(value) for key, value in (word.split("=", 1) for word in words)}


def entry_precision(entry: dict) -> str:
    """The precision an entry was tuned in; entries from before bf16 existed were float32."""
    return entry.get("precision", "float32")


def bracket(entry: dict) -> str:
    """Where the chosen value sits among the scored candidates of its own variant: 'bracketed' (a lower
    score, or divergence, on each side), 'lower edge' or 'upper edge' (nothing scored beyond it)."""
    param, value, fixed = entry["param"], entry["value"], entry.get("fixed", {})
    same_variant = [candidate[param] for candidate in (label_settings(label, param) for label in entry["train_psnr"])
                    if all(candidate.get(k) == v for k, v in fixed.items())]
    below = [v for v in same_variant if v < value]
    above = [v for v in same_variant if v > value]
    if not below:
        return "lower edge"
    if not above:
        return "upper edge"
    return "bracketed"


def settings_table(record: dict) -> list[str]:
    """Markdown table of a tuning record: per method and task the chosen setting, its train PSNR, whether
    the grid brackets it, and the images it was measured on."""
    lines = ["| method | task | chosen | train PSNR (dB) | in the grid | train images | precision |",
             "|---|---|---|---|---|---|---|"]
    for method, tasks in record["methods"].items():
        for task, entry in tasks.items():
            fixed = " ".join(f"{k}={v}" for k, v in entry.get("fixed", {}).items())
            label = next((k for k in entry["train_psnr"]
                          if label_settings(k, entry["param"]) == {entry["param"]: entry["value"]} | entry.get("fixed", {})),
                         None)
            score = entry["train_psnr"].get(label) if label else None
            lines.append(f"| {method} | {task} | {entry['param']}={entry['value']}{' ' + fixed if fixed else ''} | "
                         f"{'—' if score is None else f'{score:.2f}'} | {bracket(entry)} | {entry.get('images', '—')} | "
                         f"{entry_precision(entry)} |")
    return lines


def recorded_entry(path: Path, ddpm_label: str, method: str, task: str) -> dict | None:
    """The entry on disk for (method, task) if it was tuned for this DDPM, else None."""
    record = read_record(path)
    if record is None or record.get("ddpm") != ddpm_label:
        return None
    return record["methods"].get(method, {}).get(task)


def extended_entry(entry: dict, recorded: dict | None) -> dict:
    """`entry` (scores of the --values candidates) with the scores already recorded for the same method and
    task, when they were measured alike (same parameter, images, seed and precision), so that extending a
    grid past its edge keeps the other side; the commands of both are kept."""
    if recorded is None:
        return entry
    if entry_precision(recorded) != entry["precision"] or \
            any(recorded.get(k) != entry[k] for k in ("param", "images", "seed")):
        return entry
    earlier = recorded.get("earlier_commands", []) + [recorded["command"]]
    return entry | {"train_psnr": recorded["train_psnr"] | entry["train_psnr"],
                    "earlier_commands": [c for c in dict.fromkeys(earlier) if c != entry["command"]]}


def merged_record(path: Path, dataset: str, ddpm_label: str, chosen: dict[str, dict]) -> dict:
    """The record on disk (read now, so tunings run side by side both land) updated with `chosen`.

    A record tuned for another DDPM is replaced; each task entry carries its own images, seed and command.
    """
    previous = read_record(path)
    record = previous if previous and previous.get("ddpm") == ddpm_label else \
        {"kind": "diffusion-tuning", "dataset": dataset, "ddpm": ddpm_label, "methods": {}}
    for method, tasks in chosen.items():
        record["methods"].setdefault(method, {}).update(tasks)
    commands = [c for tasks in record["methods"].values() for e in tasks.values()
                for c in e.get("earlier_commands", []) + ([e["command"]] if "command" in e else [])]
    record["commands"] = sorted(set(commands + ([record["command"]] if "command" in record else [])))
    return record
