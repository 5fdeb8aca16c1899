"""The learning-rate schedule: warm-up, then constant or a linear decay to 0."""

import pytest

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

