"""The learning-rate schedule: warm-up, then constant or a linear decay to 0 that a resumed run keeps."""

import pytest

from invdrift import train
from invdrift.errors import InvdriftError

TINY = {"width": 8, "batch_size": 4, "channels": 1, "size": 28, "log_every": 5, "ckpt_every": 50, "warmup": 2,
        "train_limit": 256}


def test_linear_decay_falls_from_lr_to_zero_after_warmup():
    config = {"lr": 1e-3, "warmup": 10, "steps": 110, "lr_decay": "linear"}
    rates = [train.learning_rate(config, step) for step in range(110)]
    assert rates[9] == pytest.approx(1e-3) and rates[10] == pytest.approx(1e-3)
    assert rates[60] == pytest.approx(0.5e-3)
    assert rates[-1] == pytest.approx(1e-5) and all(a >= b for a, b in zip(rates[9:], rates[10:]))
    constant = dict(config, lr_decay="none")
    assert train.learning_rate(constant, 109) == pytest.approx(1e-3)


def test_unknown_decay_is_refused():
    with pytest.raises(InvdriftError, match="lr_decay 'cosine'"):
        train.resolve_config("regression", "mnist", {"lr_decay": "cosine"})


def test_a_decaying_run_refuses_to_resume_with_another_length(tmp_path, data_root):
    """Without decay a finished run may train on with more steps; with decay the length is the schedule."""
    settings = dict(TINY, steps=2, lr_decay="linear")
    train.train("regression", "mnist", settings, tmp_path / "run", tmp_path / "out", data_root, progress=False)
    with pytest.raises(InvdriftError, match="different configuration \\(steps\\)"):
        train.train("regression", "mnist", dict(settings, steps=4), tmp_path / "run", tmp_path / "out", data_root,
                    progress=False)
