"""The data-consistency step after a one-step restorer (`METHOD:dc=τ`)."""

import pytest
import torch

from invdrift import operators
from invdrift.data_consistency import consistency_step
from invdrift.errors import InvdriftError
from invdrift.nets.restorer import Restorer
from invdrift.solvers import registry
from invdrift.solvers.generative import posterior_draws


def test_denoising_step_is_the_precision_weighted_average():
    """Identity operator: x' = (y/σ² + x̂/τ²)/(1/σ² + 1/τ²), per pixel."""
    torch.manual_seed(0)
    op = operators.make("denoise:sigma=0.1", (1, 8, 8))
    x_hat, y = torch.rand(3, 1, 8, 8), torch.rand(3, 1, 8, 8)
    tau = 0.05
    expected = (y / 0.1 ** 2 + x_hat / tau ** 2) / (1 / 0.1 ** 2 + 1 / tau ** 2)
    assert torch.allclose(consistency_step(x_hat, y, op, tau), expected, atol=1e-6)


def test_noiseless_step_projects_onto_the_measurement_and_keeps_the_null_space():
    """σ = 0 on sr2: A x' = y exactly, and x' − x̂ has no component A cannot see (block means only)."""
    torch.manual_seed(0)
    op = operators.make("sr2:sigma=0", (1, 8, 8))
    x_hat, y = torch.rand(2, 1, 8, 8), torch.rand(2, 1, 4, 4)
    moved = consistency_step(x_hat, y, op, 0.03)
    assert torch.allclose(op.A(moved), y, atol=1e-5)
    change = moved - x_hat
    assert torch.allclose(change, torch.nn.functional.interpolate(op.A(change), scale_factor=2), atol=1e-5)


def test_sampler_step_perturbs_each_draw_and_inpainting_is_left_alone():
    """With a generator each of the K draws sees its own y + σε (reproducible from the seed); without
    one, equal draws stay equal; inpainting is returned unchanged (its observed pixels come from y)."""
    torch.manual_seed(0)
    op = operators.make("deblur:std=0.8,sigma=0.02", (1, 16, 16))
    same = torch.rand(1, 2, 1, 16, 16).expand(3, -1, -1, -1, -1)
    y = op.A(torch.rand(2, 1, 16, 16))
    plain = consistency_step(same, y, op, 0.03)
    draws = [consistency_step(same, y, op, 0.03, torch.Generator().manual_seed(4)) for _ in range(2)]
    assert torch.equal(plain[0], plain[2])
    assert torch.equal(draws[0], draws[1]) and not torch.allclose(draws[0][0], draws[0][2])
    box = operators.make("inpaint_box", (1, 16, 16))
    assert torch.equal(consistency_step(same, y, box, 0.03), same)
    with pytest.raises(ValueError):
        consistency_step(same, y, op, 0.0)


def test_dc_parameter_reaches_the_draws_and_is_checked():
    """`drift-cond:dc=τ` moves the draws towards y (a smaller residual) and is parsed like the others;
    τ ≤ 0 is refused with one line."""
    torch.manual_seed(0)
    op = operators.make("denoise:sigma=0.05", (1, 28, 28))
    x = torch.rand(2, 1, 28, 28)
    y = op.measure(x, [0, 1])
    model = Restorer(1, 8, True).eval()
    with torch.no_grad():
        raw = posterior_draws(model, y, op, 2, seed=0)
        moved = posterior_draws(model, y, op, 2, seed=0, consistency=0.5)  # τ ≫ σ: trusts y
    assert torch.equal(raw, posterior_draws(model, y, op, 2, seed=0, consistency=None))
    assert (moved - y).pow(2).mean() < 0.1 * (raw - y).pow(2).mean()
    assert registry.split_method("drift-cond-family:dc=0.03") == ("drift-cond-family", {"dc": 0.03})
    for bad in ("drift-cond:dc=0", "drift-cond:dc=-1", "drift-cond:dc=inf"):
        with pytest.raises(InvdriftError, match="dc must be a positive number"):
            registry.resolve(bad)
