import pytest
import torch

from invdrift import train
from invdrift.errors import InvdriftError
from invdrift.priors.inward_clamp import inward_clamp


def test_inward_clamp_clips_like_clamp():
    x = torch.tensor([-0.5, 0.0, 0.3, 1.0, 1.7])
    assert torch.equal(inward_clamp(x), x.clamp(0, 1))


def test_inward_clamp_passes_gradients_inside_and_towards_the_range_only():
    x = torch.tensor([-0.5, -0.5, 0.3, 0.3, 1.7, 1.7], requires_grad=True)
    upstream = torch.tensor([-1.0, 1.0, -1.0, 1.0, -1.0, 1.0])  # loss gradient; descent moves x by −upstream
    inward_clamp(x).backward(upstream)
    # below 0: passes only when descent raises x; inside: always; above 1: only when descent lowers x
    assert torch.equal(x.grad, torch.tensor([-1.0, 0.0, -1.0, 1.0, 0.0, 1.0]))


def test_a_sample_below_zero_asked_to_rise_gets_back_into_range():
    x = torch.tensor([-0.2], requires_grad=True)
    optimiser = torch.optim.SGD([x], lr=0.1)
    for _ in range(20):
        optimiser.zero_grad()
        (inward_clamp(x) - 0.5).pow(2).sum().backward()
        optimiser.step()
    assert 0.0 < x.item() <= 0.5


def test_clip_samples_setting_is_checked():
    assert train.resolve_config("drift-cond", "mnist", {"clip_samples": True})["clip_samples"] is True
    assert train.resolve_config("drift-cond", "mnist", {})["clip_samples"] is False
    with pytest.raises(InvdriftError, match="clip_samples"):
        train.resolve_config("drift-cond", "mnist", {"clip_samples": "yes"})
