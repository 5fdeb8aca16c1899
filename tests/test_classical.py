import torch

from invdrift import data, metrics, operators
from invdrift.solvers import classical, registry
from invdrift.solvers.base import Context


class SampleContext(Context):
    """A context whose 'train split' is the built-in samples (tests only)."""

    def train_images(self, limit: int = 10_000) -> torch.Tensor:
        return data.samples(self.dataset)[0][:limit]


def restore(method, name, task, x):
    ctx = SampleContext(name, tuning_images=16)
    op = operators.make(task, x.shape[1:])
    idx = list(range(len(x)))
    b = op.for_images(idx)
    y = b.measure(x, idx)
    return registry.build(method, ctx, b)(y, b), y, b


def test_wiener_beats_pinv_on_denoise_and_deblur():
    x = data.samples("cifar10")[0]
    for task in ("denoise", "deblur"):
        w, _, _ = restore("wiener", "cifar10", task, x)
        p, _, _ = restore("pinv", "cifar10", task, x)
        assert metrics.psnr(w, x).mean() > metrics.psnr(p, x).mean() + 1


def test_tikhonov_solves_its_normal_equations():
    x = data.samples("mnist")[0][:4].double()
    op = operators.make("sr2", x.shape[1:])
    y = op.measure(x, [0, 1, 2, 3]).double()
    alpha = 0.05
    est = classical.tikhonov(y, op, alpha, iterations=500)
    residual = op.At(op.A(est)) + alpha * classical._grad_norm_op(est) - op.At(y)
    assert residual.abs().max() < 1e-8


def test_bicubic_and_inpainting_shapes():
    x = data.samples("mnist")[0][:8]
    out, _, _ = restore("bicubic", "mnist", "sr4", x)
    assert out.shape == x.shape
    t, y, b = restore("tikhonov", "mnist", "inpaint_random", x)
    assert metrics.psnr(t, x).mean() > metrics.psnr(b.pinv(y), x).mean()
