import torch

from invdrift import data, operators
from invdrift.checkpoint import default_checkpoints
from invdrift.realism import fd_for
from invdrift.solvers.base import Context


def test_fd_ranks_clean_images_far_below_degraded_ones(data_root):
    x, _ = data.load_slice("mnist", "test", 0, 1000, data_root)
    other, _ = data.load_slice("mnist", "test", 1000, 1000, data_root)
    ctx = Context("mnist", data_root, default_checkpoints())
    idx = list(range(1000))
    blurred = operators.make("deblur", x.shape[1:]).measure(x, idx)
    noisy = operators.make("denoise", x.shape[1:]).measure(x, idx)
    fd_self = fd_for("mnist", x, x, ctx)
    fd_other = fd_for("mnist", other, x, ctx)
    fd_blur = fd_for("mnist", blurred, x, ctx)
    fd_noise = fd_for("mnist", noisy, x, ctx)
    assert abs(fd_self) < 1e-6
    assert fd_other < 0.1 * min(fd_blur, fd_noise)


def test_fd_is_missing_without_classifier(tmp_path):
    ctx = Context("mnist", None, tmp_path)
    x = torch.rand(10, 1, 28, 28)
    assert fd_for("mnist", x, x, ctx) is None
