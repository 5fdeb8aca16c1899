import pytest
import torch

from invdrift import data, operators
from invdrift.errors import InvdriftError

SHAPES = [(1, 28, 28), (3, 32, 32)]


def bound(task, shape, n=4, seed=0):
    return operators.make(task, shape).for_images(list(range(n)), seed)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("task", operators.TASKS)
def test_adjoint_identity(task, shape):
    g = torch.Generator().manual_seed(1)
    op = bound(task, shape)
    x = torch.randn(4, *shape, generator=g, dtype=torch.float64)
    y = torch.randn(4, *op.y_shape, generator=g, dtype=torch.float64)
    lhs = (op.A(x) * y).sum()
    rhs = (x * op.At(y)).sum()
    assert abs(lhs - rhs) / abs(lhs) < 1e-5


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("task", ["sr2", "sr4", "inpaint_box", "inpaint_random"])
def test_pinv_is_a_right_inverse_on_the_range(task, shape):
    op = bound(task, shape)
    x = torch.rand(4, *shape, dtype=torch.float64)
    assert torch.allclose(op.A(op.pinv(op.A(x))), op.A(x), atol=1e-12)


@pytest.mark.parametrize("task", operators.TASKS)
def test_measure_is_deterministic_per_image(task):
    op = operators.make(task, (1, 28, 28))
    x = torch.rand(3, 1, 28, 28)
    y1 = op.measure(x, [0, 1, 2], seed=0)
    y2 = op.measure(x, [0, 1, 2], seed=0)
    y_single = op.measure(x[1:2], [1], seed=0)
    y_other = op.measure(x, [0, 1, 2], seed=1)
    assert torch.equal(y1, y2)
    assert torch.equal(y1[1:2], y_single)  # same image index → same noise, whatever the batch
    assert not torch.equal(y1, y_other)


def test_noise_level_and_missing_pixels():
    x = torch.rand(64, 1, 28, 28)
    idx = list(range(64))
    op = operators.make("denoise", (1, 28, 28))
    noise = op.measure(x, idx) - x
    assert abs(noise.std().item() - 0.2) < 0.005
    op = operators.make("inpaint_random", (3, 32, 32))
    y = op.measure(torch.rand(64, 3, 32, 32), idx)
    b = op.for_images(idx)
    assert torch.all(y[b.mask.expand_as(y) == 0] == 0)
    missing = 1 - b.mask.mean().item()
    assert 0.68 < missing < 0.72
    # all channels of a pixel share the mask
    assert b.mask.shape == (64, 1, 32, 32)


def test_box_mask_position():
    m = operators.box_mask((1, 28, 28))[0, 0]
    assert m[7:21, 7:21].sum() == 0 and m.sum() == 28 * 28 - 14 * 14
    m = operators.box_mask((3, 32, 32))[0, 0]
    assert m[8:24, 8:24].sum() == 0 and m.sum() == 32 * 32 - 16 * 16


def test_blur_kernel_and_circular_boundary():
    k = operators.gaussian_kernel()
    assert k.shape == (9, 9) and abs(k.sum().item() - 1) < 1e-6
    op = operators.make("deblur", (1, 28, 28))
    delta = torch.zeros(1, 1, 28, 28, dtype=torch.float64)
    delta[0, 0, 0, 0] = 1  # a corner impulse wraps around (periodic boundary)
    psf = op.A(delta)[0, 0]
    assert abs(psf.sum().item() - 1) < 1e-9
    assert psf[-1, -1] > 0 and abs(psf[0, 0].item() - k[4, 4].item()) < 1e-6


def test_sr_shapes_and_errors():
    assert operators.make("sr4", (3, 32, 32)).A(torch.rand(2, 3, 32, 32)).shape == (2, 3, 8, 8)
    with pytest.raises(InvdriftError, match="unknown task"):
        operators.make("colorize", (1, 28, 28))
    with pytest.raises(InvdriftError, match="shape"):
        operators.make("denoise", (1, 28, 28)).measure(torch.rand(2, 3, 28, 28), [0, 1])
    with pytest.raises(InvdriftError, match="per-image masks"):
        operators.make("inpaint_random", (1, 28, 28)).A(torch.rand(1, 1, 28, 28))


def test_check_measurement_rejects_nan():
    op = operators.make("denoise", (1, 28, 28))
    y = torch.rand(1, 1, 28, 28)
    y[0, 0, 3, 3] = float("nan")
    with pytest.raises(InvdriftError, match="NaN"):
        op.check_measurement(y)


def test_samples_measure_like_the_protocol():
    x, _ = data.samples("cifar10")
    op = operators.make("sr2", x.shape[1:])
    y = op.measure(x[:4], [0, 1, 2, 3])
    assert y.shape == (4, 3, 16, 16)


def _bound_operators(shape):
    for task in operators.TASKS:
        op = operators.make(task, shape)
        yield task, op.for_images(range(3), seed=0)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_svd_structure_reproduces_a_and_its_adjoint(shape):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, *shape, generator=g, dtype=torch.float64)
    for task, op in _bound_operators(shape):
        y = op.A(x) + 0.1 * torch.randn(op.A(x).shape, generator=g, dtype=torch.float64)
        c = op.to_spectral(x)
        s = op.singular_values(c)
        structured_a = op.from_spectral_measurement(s * c)
        assert (structured_a - op.A(x)).norm() < 1e-6, task
        structured_at = op.from_spectral(s * op.spectral_measurement(y))
        assert (structured_at - op.At(y)).norm() < 1e-6, task
        assert (op.from_spectral(c) - x).norm() < 1e-6, task  # V orthonormal: V Vᵀ = I
        assert abs(c.abs().pow(2).sum() - x.pow(2).sum()) < 1e-6 * x.pow(2).sum(), task  # and norm-preserving
        assert (s >= 0).all() and s.max() <= 1 + 1e-9, task


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_prox_solves_its_quadratic(shape):
    g = torch.Generator().manual_seed(1)
    for task, op in _bound_operators(shape):
        z = torch.rand(3, *shape, generator=g, dtype=torch.float64)
        y = op.A(torch.rand(3, *shape, generator=g, dtype=torch.float64))
        for rho in (0.01, 1.0, torch.tensor([0.1, 1.0, 10.0], dtype=torch.float64)):
            x = op.prox(z, rho, y)
            r = rho.view(-1, 1, 1, 1) if torch.is_tensor(rho) else rho
            gradient = op.At(op.A(x) - y) + r * (x - z)  # ½∇ of ‖Ax − y‖² + ρ‖x − z‖²
            assert gradient.abs().max() < 1e-6, (task, rho)
