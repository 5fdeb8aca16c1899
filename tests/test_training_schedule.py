"""The training schedules: learning-rate warm-up, then constant or a linear decay to 0; the EMA's decay."""

import pytest
import torch
from safetensors.torch import load_file

from invdrift import train
from invdrift.errors import InvdriftError


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


def test_ema_decay_ramps_only_with_warmup():
    config = {"ema": 0.999, "ema_warmup": True}
    assert train.ema_decay(config, 0) == pytest.approx(0.1) and train.ema_decay(config, 90) == pytest.approx(0.91)
    assert train.ema_decay(config, 100_000) == 0.999
    assert train.ema_decay(dict(config, ema_warmup=False), 0) == 0.999
    with pytest.raises(InvdriftError, match="ema_warmup 'no'"):
        train.resolve_config("regression", "mnist", {"ema_warmup": "no"})


def test_without_ema_warmup_a_warm_start_keeps_its_weights_in_the_ema(tmp_path, data_root):
    """At `ema` = 1 the EMA never moves from its start: the exported weights are the initial ones
    without the ramp, and differ from them with it (the ramp's first decay is 0.1)."""
    tiny = {"width": 8, "batch_size": 4, "train_limit": 64, "steps": 2, "warmup": 1, "log_every": 1}
    start = train.train("regression", "mnist", tiny, tmp_path / "start", tmp_path / "start_out", data_root,
                        progress=False)
    initial = load_file(str(start))
    for warmup, same in ((False, True), (True, False)):
        path = train.train("regression", "mnist", dict(tiny, init=str(start), ema=1.0, ema_warmup=warmup),
                           tmp_path / f"run_{warmup}", tmp_path / f"out_{warmup}", data_root, progress=False)
        exported = load_file(str(path))
        assert all(torch.equal(exported[k], initial[k]) for k in initial) == same
