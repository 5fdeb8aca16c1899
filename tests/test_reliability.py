"""Exact resume after SIGKILL, bad weight files, no pickle, multi-process training."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors.torch import load_file

from invdrift import cli, data

SRC = Path(__file__).resolve().parents[1] / "src"
TINY_DRIFT = ["--set", "width=8", "--set", "noise_dim=8", "--set", "channels=1", "--set", "size=28",
              "--set", "positives=256", "--set", "eval_samples=50", "--set", "warmup=5", "--batch-size", "256"]


@pytest.fixture(scope="module")
def sample_folder(tmp_path_factory) -> Path:
    """The built-in MNIST samples as a folder of PNGs (a user dataset)."""
    folder = tmp_path_factory.mktemp("folder")
    x, _ = data.samples("mnist")
    for i, image in enumerate(x):
        Image.fromarray((image[0].numpy() * 255).round().astype(np.uint8)).save(folder / f"{i:02d}.png")
    return folder


def train_cmd(folder: Path, run: Path, out: Path, steps: int) -> list[str]:
    return [sys.executable, "-m", "invdrift", "train", "drift", "--dataset", str(folder), "--steps", str(steps),
            "--run-dir", str(run), "--out", str(out), "--set", "ckpt_every=5", *TINY_DRIFT]


def quiet_env() -> dict:
    return dict(os.environ, OMP_NUM_THREADS="1", INVDRIFT_OFFLINE="1")


def test_sigkill_then_resume_is_bit_identical(sample_folder, tmp_path):
    steps = 120
    reference = subprocess.run(train_cmd(sample_folder, tmp_path / "ref", tmp_path / "ref_out", steps),
                               env=quiet_env(), capture_output=True, text=True)
    assert reference.returncode == 0, reference.stderr[-2000:]
    run, out = tmp_path / "run", tmp_path / "out"
    proc = subprocess.Popen(train_cmd(sample_folder, run, out, steps), env=quiet_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = run / "state.json"
    deadline = time.time() + 120
    while time.time() < deadline:
        if state.is_file() and json.loads(state.read_text())["step"] >= 20:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = json.loads(state.read_text())["step"]
    assert 20 <= killed_at < steps, "the run must be killed mid-way"
    assert not (out / f"drift-{sample_folder.name}.safetensors").exists()
    resumed = subprocess.run(train_cmd(sample_folder, run, out, steps), env=quiet_env(), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming" in resumed.stdout + resumed.stderr
    a = load_file(str(tmp_path / "ref_out" / f"drift-{sample_folder.name}.safetensors"))
    b = load_file(str(out / f"drift-{sample_folder.name}.safetensors"))
    assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    # the log has each step once, as if never interrupted
    logged = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert logged == sorted(set(logged)) and logged[-1] == steps


@pytest.fixture(scope="module")
def tiny_weights(sample_folder, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("weights")
    result = subprocess.run(train_cmd(sample_folder, out / "run", out, 5), env=quiet_env(),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return out / f"drift-{sample_folder.name}.safetensors"


def sample_error(weights: Path, folder: Path, capsys) -> str:
    code = cli.main(["sample", "--dataset", str(folder), "--checkpoints", str(weights.parent),
                     "--out", str(weights.parent / "grid.png"), "--n", "4"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and not (weights.parent / "grid.png").exists()
    return err


def test_good_weights_load(tiny_weights, sample_folder, capsys):
    code = cli.main(["sample", "--dataset", str(sample_folder), "--checkpoints", str(tiny_weights.parent),
                     "--out", str(tiny_weights.parent / "ok.png"), "--n", "4"])
    assert code == 0 and (tiny_weights.parent / "ok.png").is_file()


@pytest.mark.parametrize("damage, message", [
    ("truncate", "truncated or corrupted"),
    ("flip", "does not match the SHA-256"),
    ("architecture", "does not fit this architecture"),
    ("kind", "holds a 'classifier' model"),
    ("dataset", "was trained on 'cifar10'"),
    ("missing_config", "config"),
    ("no_size", "lacks the setting 'width'"),
    ("bad_size", "describes no network"),
])
def test_bad_weights_give_one_clear_error(damage, message, tiny_weights, sample_folder, tmp_path, capsys):
    folder = tmp_path / "ck"
    folder.mkdir()
    target = folder / tiny_weights.name
    blob = tiny_weights.read_bytes()
    config = json.loads(tiny_weights.with_suffix(".json").read_text())
    if damage == "truncate":
        blob = blob[: len(blob) // 2]
        config.pop("sha256")
    elif damage == "flip":
        blob = blob[:-10] + bytes([blob[-10] ^ 0xFF]) + blob[-9:]
    elif damage == "architecture":
        config["width"] = 16
    elif damage == "kind":
        config["kind"] = "classifier"
    elif damage == "dataset":
        config["dataset"] = "cifar10"
    elif damage == "no_size":
        config.pop("width")
    elif damage == "bad_size":
        config["width"] = -8
    target.write_bytes(blob)
    if damage != "missing_config":
        target.with_suffix(".json").write_text(json.dumps(config))
    err = sample_error(target, sample_folder, capsys)
    assert message in err
    assert target.stem in err  # the error names the file


def test_no_pickle_is_loaded_anywhere():
    forbidden = re.compile(r"torch\.load\(|import pickle|pickle\.load|allow_pickle=True|import dill|joblib")
    offenders = [f"{p}:{i}" for p in SRC.rglob("*.py") for i, line in enumerate(p.read_text().splitlines(), 1)
                 if forbidden.search(line)]
    assert offenders == []


def test_torchrun_two_processes(tmp_path, data_root):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone",
           "-m", "invdrift", "train", "classifier", "--dataset", "mnist", "--data-root", str(data_root),
           "--steps", "40", "--batch-size", "64", "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path / "out"),
           "--set", "train_limit=2048", "--set", "width=8", "--set", "log_every=5", "--set", "warmup=5"]
    result = subprocess.run(cmd, env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    config = json.loads((tmp_path / "out" / "classifier-mnist.json").read_text())
    assert config["world_size"] == 2 and config["results"]["ranks_agree"] is True
    losses = [json.loads(line)["loss"] for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert len(losses) == 8  # one writer: each logged step appears once
    assert np.mean(losses[-2:]) < 0.7 * np.mean(losses[:2])


def _write_one_row(out: str, index: int) -> None:
    from invdrift import bench

    bench.write_results(Path(out), [{"dataset": "mnist", "task": "denoise", "method": f"m{index}", "n": 1,
                                     "psnr": float(index)}], {"protocol": "v2"})


def test_benches_writing_side_by_side_keep_every_row(tmp_path):
    """Processes merging into one results folder at the same time: none loses another's rows."""
    import multiprocessing

    from invdrift import bench

    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_one_row, args=(str(tmp_path), i)) for i in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0] * 8
    assert sorted(r["method"] for r in bench.load_rows(tmp_path)) == [f"m{i}" for i in range(8)]
