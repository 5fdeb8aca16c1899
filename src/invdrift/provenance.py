"""Which result rows were measured with weights other than the ones shipped now.

Every row records its weights as `file.safetensors@sha256prefix` (checkpoint.checkpoint_label). After a
model is retrained, rows measured with the old file stay in results/ until they are re-run; this module
finds them so that the report can say so instead of mixing two models under one name.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .checkpoint import checkpoint_label

LABEL = re.compile(r"[\w.+-]+\.safetensors@[0-9a-f]+")  # checkpoint_label's form


def stale_rows(rows: list[dict], checkpoints: Path) -> list[dict]:
    """Rows whose recorded weights differ from (or are missing among) the files in `checkpoints`."""
    labels = [(row, LABEL.findall(str(row.get("checkpoint") or ""))) for row in rows]
    names = {label.split("@")[0] for _, found in labels for label in found}
    shipped = {checkpoint_label(Path(checkpoints) / name) for name in names if (Path(checkpoints) / name).is_file()}
    return [row for row, found in labels if any(label not in shipped for label in found)]


def stale_summary(rows: list[dict], checkpoints: Path) -> list[str]:
    """Markdown lines listing the stale rows by dataset, method and weights; empty when there are none."""
    stale = stale_rows(rows, checkpoints)
    if not stale:
        return []
    counts = Counter((r["dataset"], r["method"], r["checkpoint"]) for r in stale)
    lines = [f"**{len(stale)} rows were measured with weights that are not the shipped ones** "
             f"(re-run them with `invdrift bench`):", "", "| dataset | method | weights in the rows | rows |",
             "|---|---|---|---|"]
    lines += [f"| {d} | {m} | {c} | {k} |" for (d, m, c), k in sorted(counts.items())]
    return lines + [""]
