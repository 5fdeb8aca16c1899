"""The chain of training runs behind a set of weights is followed through `init_weights` labels."""

import json
import shutil
import subprocess

import pytest

from invdrift.lineage import chain, chain_seconds, git_finder, label_of, lineage_seconds_of


def test_chain_follows_init_labels_oldest_first_and_says_when_it_is_cut():
    first = {"kind": "regression", "sha256": "aa" * 32, "train_seconds": 60.0}
    second = {"kind": "drift-cond", "sha256": "bb" * 32, "init_weights": label_of("r.safetensors", first)}
    last = {"kind": "drift-cond", "sha256": "cc" * 32, "init_weights": label_of("d.safetensors", second)}
    known = {label_of("r.safetensors", first): first, label_of("d.safetensors", second): second}
    assert chain(last, known.get) == ([first, second, last], True)
    assert chain(last, {label_of("d.safetensors", second): second}.get) == ([second, last], False)
    looped = {"kind": "x", "sha256": "dd" * 32, "init_weights": "x.safetensors@" + "dd" * 6}
    runs, complete = chain(looped, {"x.safetensors@" + "dd" * 6: looped}.get)
    assert not complete and len(runs) == 2


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_finder_reads_the_committed_versions_of_a_record(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "checkpoints").mkdir()
    record = tmp_path / "checkpoints" / "regression-mnist.json"
    old = {"kind": "regression", "sha256": "12" * 32, "steps_done": 7000, "train_seconds": 6000.0}
    new = {"kind": "regression", "sha256": "34" * 32, "steps_done": 1500, "train_seconds": 3600.0,
           "init_weights": label_of("regression-mnist.safetensors", old)}
    for version in (old, new):
        record.write_text(json.dumps(version))
        git("add", "-A")
        git("commit", "-q", "-m", "weights")
    runs, complete = chain(new, git_finder(tmp_path))
    assert complete and [r["steps_done"] for r in runs] == [7000, 1500]
    assert git_finder(tmp_path)("regression-mnist.safetensors@" + "56" * 6) is None


def test_a_run_adds_its_time_to_the_lineage_its_init_recorded():
    assert lineage_seconds_of({}, 12.34) == 12.3  # a cold start is its own lineage
    assert lineage_seconds_of({"init_weights": "r.safetensors@aa", "init_lineage_seconds": 100.0}, 50.0) == 150.0
    assert lineage_seconds_of({"init_weights": "r.safetensors@aa"}, 50.0) is None  # the init's total unknown
    assert chain_seconds([{"train_seconds": 60.0}, {"train_seconds": 30.5}, {}]) == 90.5
