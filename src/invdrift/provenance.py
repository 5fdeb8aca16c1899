"""Which result rows were measured with weights other than the ones shipped now.

Every row records its weights as `file.safetensors@sha256prefix` (checkpoint.checkpoint_label). After a
model is retrained, rows measured with the old file stay in results/ until they are re-run; this module
finds them so that the report can say so instead of mixing two models under one name, and
`rerun_groups` turns them into the bench runs that measure them again (`invdrift bench --stale`).
`chosen_rows` picks rows by dataset, operator family and method, for re-running rows whose method
changed (`invdrift bench --again`). `stale_labels` does the same for the text of a generated table.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .checkpoint import checkpoint_label

LABEL = re.compile(r"[\w.+-]+\.safetensors@[0-9a-f]+")  # checkpoint_label's form


def shipped_labels(labels: set[str], checkpoints: Path) -> set[str]:
    """The labels of the files in `checkpoints` that `labels` name (a name with no file gives none)."""
    names = {label.split("@")[0] for label in labels}
    return {checkpoint_label(Path(checkpoints) / name) for name in names if (Path(checkpoints) / name).is_file()}


def stale_rows(rows: list[dict], checkpoints: Path) -> list[dict]:
    """Rows whose recorded weights differ from (or are missing among) the files in `checkpoints`."""
    labels = [(row, LABEL.findall(str(row.get("checkpoint") or ""))) for row in rows]
    shipped = shipped_labels({label for _, found in labels for label in found}, checkpoints)
    return [row for row, found in labels if any(label not in shipped for label in found)]


def stale_labels(text: str, checkpoints: Path) -> list[str]:
    """The weight labels in a generated table or report (`text`) that are not the files in `checkpoints`,
    sorted: a table that names them was made with weights that are no longer shipped."""
    found = set(LABEL.findall(text))
    return sorted(found - shipped_labels(found, checkpoints))


def chosen_rows(rows: list[dict], datasets: list[str] | None, tasks: list[str] | None,
                methods: list[str] | None) -> list[dict]:
    """Rows of one of `datasets` and `methods` (names as the rows record them) whose operator is one of
    `tasks`, given as a family (`inpaint_box`: every box) or exactly (`inpaint_box:size=8`); None: any."""
    return [row for row in rows if (datasets is None or row["dataset"] in datasets)
            and (methods is None or row["method"] in methods)
            and (tasks is None or row["task"] in tasks or row["task"].split(":")[0] in tasks)]


def stale_summary(rows: list[dict], checkpoints: Path) -> list[str]:
    """Markdown lines listing the stale rows by dataset, method and weights; empty when there are none."""
    stale = stale_rows(rows, checkpoints)
    if not stale:
        return []
    counts = Counter((r["dataset"], r["method"], r["checkpoint"]) for r in stale)
    lines = [f"**{len(stale)} rows were measured with weights that are not the shipped ones** "
             f"(re-run them with `invdrift bench --stale`):", "", "| dataset | method | weights in the rows | rows |",
             "|---|---|---|---|"]
    lines += [f"| {d} | {m} | {c} | {k} |" for (d, m, c), k in sorted(counts.items())]
    return lines + [""]


def rerun_groups(stale: list[dict], float32: bool = False, batch_size: int = 256) -> list[dict]:
    """The bench runs that measure `stale` rows again with their own settings: one per dataset, method, n,
    offset, seed, samples, precision (float32 for every row with `float32`) and batch size (a sampler's
    draws follow the batch; `batch_size` for rows that do not record theirs), with the tasks (operators) of
    that group in first-seen order."""
    groups: dict[tuple, list[str]] = {}
    for row in stale:
        key = (row["dataset"], row["method"], row["n"], row.get("offset", 0), row.get("seed", 0),
               row.get("samples") or 0, row.get("precision") == "bf16" and not float32,
               row.get("batch_size") or batch_size)
        if row["task"] not in groups.setdefault(key, []):
            groups[key].append(row["task"])
    return [{"datasets": [d], "methods": [m], "n": n, "offset": o, "seed": s, "samples": k, "bf16": b,
             "batch_size": size, "tasks": t} for (d, m, n, o, s, k, b, size), t in groups.items()]
