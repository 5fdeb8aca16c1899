"""The training runs behind a set of weights.

A run started from other weights (`--set init=…`) records them as `init_weights`, a weights label
(`file.safetensors@sha256prefix`). Following those labels back through the records of earlier weights
gives the whole chain of runs, oldest first, and the training time the weights really cost. Earlier
records live in the repository's history: `git_records` reads every committed version of a record.
A record also carries that total as `lineage_seconds` when it is known: a run adds its own time to the
total its init's record holds (`lineage_seconds_of`), and `chain_seconds` sums a chain found in history.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from .checkpoint import weights_label

Finder = Callable[[str], "dict | None"]  # a weights label -> the record of those weights, None if unknown


def label_of(name: str, record: dict) -> str:
    """The weights label of a record (`name` is the weights file's name), from the SHA-256 it holds."""
    return weights_label(name, record.get("sha256", ""))


def chain(record: dict, find: Finder) -> tuple[list[dict], bool]:
    """The records of every run behind `record`, oldest first and `record` last, and whether the chain is
    complete (False when an `init_weights` label has no record, or the labels loop)."""
    runs, seen = [record], set()
    while (label := runs[0].get("init_weights")):
        earlier = find(label)
        if earlier is None or label in seen:
            return runs, False
        seen.add(label)
        runs.insert(0, earlier)
    return runs, True


def git_records(repo: Path, record_path: str) -> dict[str, dict]:
    """Every committed version of the record at `record_path` (relative to `repo`), by weights label."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout

    name = Path(record_path).with_suffix(".safetensors").name
    records = {}
    for commit in git("log", "--format=%H", "--", record_path).split():
        try:
            record = json.loads(git("show", f"{commit}:{record_path}"))
        except (subprocess.CalledProcessError, ValueError):
            continue  # deleted or unreadable in that commit
        if record.get("sha256"):
            records.setdefault(label_of(name, record), record)
    return records


def git_finder(repo: Path, folder: str = "checkpoints") -> Finder:
    """A Finder over the committed records in `repo`/`folder`, each file's history read once."""
    cache: dict[str, dict[str, dict]] = {}

    def find(label: str) -> dict | None:
        name = label.split("@")[0]
        if name not in cache:
            cache[name] = git_records(repo, f"{folder}/{Path(name).with_suffix('.json').name}")
        return cache[name].get(label)

    return find


def lineage_seconds_of(config: dict, elapsed: float) -> float | None:
    """Training time of a run's weights with every run they were warm-started from: `elapsed` plus the
    init's `lineage_seconds` (kept in the config as `init_lineage_seconds`); None when the init's record
    does not hold its own."""
    if not config.get("init_weights"):
        return round(elapsed, 1)
    earlier = config.get("init_lineage_seconds")
    return None if earlier is None else round(earlier + elapsed, 1)


def chain_seconds(runs: list[dict]) -> float:
    """The summed `train_seconds` of a chain of runs."""
    return round(sum(r.get("train_seconds", 0.0) for r in runs), 1)
