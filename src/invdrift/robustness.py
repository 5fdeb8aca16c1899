"""The robustness study: how each method degrades when the operator moves away from its v1 setting.

`VARIANTS` are the operators benchmarked (`scripts/robustness.sh`); the report groups rows into
families — one task, one moved parameter, every other parameter at v1 — and plots PSNR against the
parameter, one line per method. `denoising_levels` are the noise levels of the DDPM's steps t = 100,
500 and 900 (image scale), for the single-step denoising table.
"""

from __future__ import annotations

from pathlib import Path

from . import operators
from .operator_params import defaults, split_task
from .priors.ddpm import Schedule, noise_to_signal

VARIANTS = ("deblur:std=1", "deblur:std=2", "deblur:std=2.5", "deblur:sigma=0.02", "deblur:sigma=0.1",
            "denoise:sigma=0.1", "denoise:sigma=0.3", "sr2:sigma=0.05", "sr4:sigma=0.05",
            "inpaint_random:missing=0.5", "inpaint_random:missing=0.9", "inpaint_box:size=8")
DDPM_STEPS = (100, 500, 900)


def denoising_levels(schedule: Schedule, steps: tuple[int, ...] = DDPM_STEPS) -> list[str]:
    """`denoise:sigma=…` at the noise level of each DDPM step: √((1 − ᾱ_t)/ᾱ_t)/2 in [0, 1] units."""
    return [f"denoise:sigma={noise_to_signal(schedule, t) / 2:.4g}" for t in steps]


def moved_parameter(row: dict, shape: tuple[int, int, int]) -> tuple[str, str, float] | None:
    """(task, parameter, value) when the row's operator differs from v1 in one parameter (a blur's side
    that follows its std is not a second move); (task, "", 0) for v1 itself; None for several moves."""
    op = operators.make(row.get("operator") or row["task"], shape)
    task, moved = split_task(op.name)
    if len(moved) > 1:
        return None
    key, value = next(iter(moved.items()), ("", 0.0))
    return task, key, value


def families(rows: list[dict], dataset: str, shape: tuple[int, int, int]) -> dict[tuple[str, str], list[dict]]:
    """(task, moved parameter) → rows of that family plus the task's v1 rows (at the v1 value)."""
    cells = [(moved_parameter(r, shape), r) for r in rows if r["dataset"] == dataset]
    out: dict[tuple[str, str], list[dict]] = {}
    for found, row in cells:
        if found and found[1]:
            out.setdefault(found[:2], []).append(row | {"value": found[2]})
    for (task, param), members in out.items():
        v1 = defaults(task, shape)[param]
        members += [row | {"value": v1} for found, row in cells if found == (task, "", 0.0)
                    and any(m["method"] == row["method"] for m in members)]
    return out


def _cell(row: dict | None) -> str:
    if row is None:
        return "—"
    return f"{row['psnr']:.2f}" + ("*" if row.get("n", 1000) < 1000 else "")


def family_tables(groups: dict[tuple[str, str], list[dict]], shape: tuple[int, int, int]) -> list[str]:
    """One Markdown table per family: methods down, parameter values across (v1 value marked)."""
    lines: list[str] = []
    for (task, param), members in sorted(groups.items()):
        values = sorted({m["value"] for m in members})
        v1 = defaults(task, shape)[param]
        methods = list(dict.fromkeys(m["method"] for m in members))
        head = [f"{param}={v:g}" + (" (v1)" if v == v1 else "") for v in values]
        lines += [f"**{task}, {param} moved** (PSNR dB; * fewer than 1000 images)", "",
                  "| method | " + " | ".join(head) + " |", "|---|" + "---|" * len(values)]
        for method in methods:
            by_value = {m["value"]: m for m in members if m["method"] == method}
            lines.append(f"| {method} | " + " | ".join(_cell(by_value.get(v)) for v in values) + " |")
        lines.append("")
    return lines


def losses(groups: dict[tuple[str, str], list[dict]],
           shape: tuple[int, int, int]) -> dict[str, tuple[float, int, int]]:
    """Per method: mean PSNR lost from its v1 row to each moved operator, how many moved operators, and on
    how many of them the v1 row ran on a different n (the same slice start; used when no v1 row on the
    moved row's n exists)."""
    drops: dict[str, list[tuple[float, bool]]] = {}
    for (task, param), members in groups.items():
        v1 = defaults(task, shape)[param]
        for m in members:
            base = sorted((b for b in members if b["method"] == m["method"] and b["value"] == v1),
                          key=lambda b: b["n"] != m["n"])
            if m["value"] != v1 and base:
                drops.setdefault(m["method"], []).append((base[0]["psnr"] - m["psnr"], base[0]["n"] != m["n"]))
    return {k: (sum(d for d, _ in v) / len(v), len(v), sum(other for _, other in v)) for k, v in drops.items()}


def conclusion(groups: dict[tuple[str, str], list[dict]], shape: tuple[int, int, int]) -> list[str]:
    """The method that loses least over the most variants, and the best mean PSNR on moved operators."""
    lost = losses(groups, shape)
    if not lost:
        return []
    most = max(count for _, count, _ in lost.values())
    complete = {k: v for k, v in lost.items() if v[1] == most}
    least = min(complete, key=lambda k: complete[k][0])
    means = {}
    for method in complete:
        moved = [m["psnr"] for (task, param), members in groups.items() for m in members
                 if m["method"] == method and m["value"] != defaults(task, shape)[param]]
        means[method] = sum(moved) / len(moved)
    best = max(means, key=means.get)
    other_n = sum(v[2] for v in complete.values())
    caveat = (f" In {other_n} of these differences the v1 row ran on more test images than the moved one "
              f"(both from test image 0)." if other_n else "")
    return [f"- Over the {most} moved operators that every listed method ran on: `{least}` loses least "
            f"(mean PSNR lost from its v1 row {complete[least][0]:+.2f} dB, a negative loss being a gain; "
            + ", ".join(f"`{k}` {v[0]:+.2f}" for k, v in sorted(complete.items(), key=lambda kv: kv[1][0])
                        if k != least) + ")." + caveat,
            f"- Highest mean PSNR on those moved operators: `{best}` ({means[best]:.2f} dB)."]


def denoising_table(rows: list[dict], dataset: str, schedule: Schedule) -> list[str]:
    """PSNR / fd of every method with rows at the DDPM's t = 100, 500, 900 noise levels."""
    specs = denoising_levels(schedule)
    cells: dict[tuple[str, str], dict] = {}
    for r in rows:
        if r["dataset"] == dataset and r["task"] in specs:
            cells[(r["task"], r["method"])] = r
    if not cells:
        return []
    methods = list(dict.fromkeys(m for _, m in cells))
    lines = ["| t | σ | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for t, spec in zip(DDPM_STEPS, specs):
        sigma = spec.split("=")[1]
        entries = [cells.get((spec, m)) for m in methods]
        lines.append(f"| {t} | {sigma} | " + " | ".join(
            "—" if r is None else f"{r['psnr']:.2f} / {r['fd']:.3g}" + ("*" if r["n"] < 1000 else "")
            for r in entries) + " |")
    return lines + ["", "PSNR dB / fd of one denoising step at the noise level of DDPM step t (σ in [0, 1] "
                        "image units); * fewer than 1000 images."]


def section(rows: list[dict], dataset: str, shape: tuple[int, int, int], schedule: Schedule | None,
            out: Path, vector: bool = False) -> list[str]:
    """The report's robustness section for one dataset (empty without rows of moved operators); with
    `vector` the plot is also written as PDF."""
    from .plots import parameter_lines

    groups = families(rows, dataset, shape)
    md: list[str] = []
    if groups:
        v1 = {key: defaults(key[0], shape)[key[1]] for key in groups}
        title = f"{dataset}: PSNR as the operator moves"
        if vector:
            parameter_lines(groups, v1, out / f"robustness-{dataset}.pdf", title)
        plot = parameter_lines(groups, v1, out / f"robustness-{dataset}.png", title)
        md += ["### Robustness to the operator", "",
               "Each panel moves one parameter of one task away from v1 (PROTOCOL.md v2); the plug-and-play "
               "methods are given the true operator, the trained restorers were trained on v1 only.", ""]
        md += [f"![robustness]({plot.name})", ""] if plot else []
        level_tasks = set(denoising_levels(schedule)) if schedule is not None else set()
        variants = {key: [m for m in members if m["task"] not in level_tasks] for key, members in groups.items()}
        md += conclusion(variants, shape) + [""] + family_tables(groups, shape)  # levels have a table of their own
    levels = denoising_table(rows, dataset, schedule) if schedule is not None else []
    if levels:
        md += ["### One denoising step at the DDPM's noise levels", ""] + levels + [""]
    return md
