"""Classical baselines: pseudo-inverse, bicubic upsampling, Wiener filter, Tikhonov (smoothness) by CG."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import InvdriftError
from ..operators import Blur, BlockMean, Identity, Operator
from .base import Context, Solver
from .tuning import tune_on_train


def pinv(y: torch.Tensor, op: Operator) -> torch.Tensor:
    """Adjoint/pseudo-inverse: zero-fill, nearest upsampling or identity."""
    return op.pinv(y)


def bicubic(y: torch.Tensor, op: Operator) -> torch.Tensor:
    """Bicubic upsampling of a block-mean measurement."""
    if not isinstance(op, BlockMean):
        raise InvdriftError(f"bicubic applies to super-resolution only, not {op.task}")
    return F.interpolate(y, scale_factor=op.factor, mode="bicubic", align_corners=False)


def power_spectrum(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean [C] and mean power spectrum E|FFT(x − μ)|² [C, H, W] of a set of images."""
    mean = images.double().mean(dim=(0, 2, 3))
    centred = images.double() - mean[None, :, None, None]
    spectrum = torch.zeros(images.shape[1:], dtype=torch.float64)
    for chunk in centred.split(2048):
        spectrum += torch.fft.fft2(chunk).abs().pow(2).sum(0)
    return mean, spectrum / len(images)


def wiener(y: torch.Tensor, op: Operator, mean: torch.Tensor, spectrum: torch.Tensor) -> torch.Tensor:
    """Exact Wiener filter in Fourier space for a stationary Gaussian prior (mean, power spectrum)."""
    if isinstance(op, Identity):
        transfer = torch.ones_like(spectrum)
    elif isinstance(op, Blur):
        transfer = op.kernel_fft.expand_as(spectrum)
    else:
        raise InvdriftError(f"wiener applies to denoise and deblur only, not {op.task}")
    _, h, w = op.shape
    mu = mean[None, :, None, None]
    noise_power = op.sigma ** 2 * h * w  # white noise power per unnormalised FFT coefficient
    gain = transfer.conj() * spectrum / (transfer.abs().pow(2) * spectrum + noise_power)
    residual = torch.fft.fft2(y.double() - mu)  # A(μ) = μ: the blur kernel sums to 1
    return (mu + torch.fft.ifft2(gain * residual).real).to(y.dtype)


def _grad_norm_op(x: torch.Tensor) -> torch.Tensor:
    """DᵀD x for periodic forward differences (a discrete negative Laplacian)."""
    lap = 4 * x - x.roll(1, -1) - x.roll(-1, -1) - x.roll(1, -2) - x.roll(-1, -2)
    return lap


def tikhonov(y: torch.Tensor, op: Operator, alpha: float, iterations: int = 300) -> torch.Tensor:
    """argmin ‖A x − y‖² + α‖∇x‖² by conjugate gradient on the normal equations, from pinv(y)."""
    def normal(v: torch.Tensor) -> torch.Tensor:
        return op.At(op.A(v)) + alpha * _grad_norm_op(v)

    b = op.At(y).double()
    x = op.pinv(y).double()
    r = b - normal(x)
    p = r.clone()
    rs = r.flatten(1).pow(2).sum(1)
    for _ in range(iterations):
        ap = normal(p)
        step = rs / (p * ap).flatten(1).sum(1).clamp_min(1e-30)
        x = x + step[:, None, None, None] * p
        r = r - step[:, None, None, None] * ap
        rs_new = r.flatten(1).pow(2).sum(1)
        if rs_new.max() < 1e-20:
            break
        p = r + (rs_new / rs.clamp_min(1e-30))[:, None, None, None] * p
        rs = rs_new
    return x.to(y.dtype)


TIKHONOV_GRID = (1e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0)


def tune_tikhonov(ctx: Context, op: Operator) -> float:
    """The α of TIKHONOV_GRID with the best mean PSNR on the first train images (never the test split)."""
    best, _ = tune_on_train(ctx, op, lambda a: (lambda y, o: tikhonov(y, o, a)), TIKHONOV_GRID)
    return best


def fit(ctx: Context) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
    """Train-split statistics of the classical methods: Wiener mean/spectrum and Tikhonov α per task."""
    from ..operators import TASKS, make

    mean, spectrum = power_spectrum(ctx.train_images())
    shape = tuple(ctx.train_images(1).shape[1:])
    alphas = {task: tune_tikhonov(ctx, make(task, shape)) for task in TASKS}
    return {"mean": mean, "spectrum": spectrum}, alphas


def _statistics(ctx: Context) -> tuple[dict[str, torch.Tensor], dict[str, float], str]:
    """Shipped statistics (checkpoints/classical-D) if present, else fitted on the train split now."""
    def build():
        from ..checkpoint import checkpoint_label, load_model_weights

        path = ctx.checkpoints / f"classical-{ctx.dataset}.safetensors"
        if path.is_file():
            tensors, config = load_model_weights(path, "classical", ctx.dataset)
            return tensors, config["alphas"], checkpoint_label(path)
        tensors, alphas = fit(ctx)
        return tensors, alphas, ""
    return ctx.cached("classical-statistics", build)


def build_pinv(ctx: Context, op: Operator) -> Solver:
    return Solver("pinv", pinv)


def build_bicubic(ctx: Context, op: Operator) -> Solver:
    return Solver("bicubic", bicubic)


def build_wiener(ctx: Context, op: Operator) -> Solver:
    tensors, _, label = _statistics(ctx)
    return Solver("wiener", lambda y, o: wiener(y, o, tensors["mean"], tensors["spectrum"]), checkpoint=label)


def build_tikhonov(ctx: Context, op: Operator) -> Solver:
    """Tikhonov with the shipped α for a v1 operator; for a moved one (`deblur:std=2`), α tuned for it
    on train images now (the same grid and rule)."""
    _, alphas, label = _statistics(ctx)
    alpha = alphas[op.task] if op.is_v1 else ctx.cached(("tikhonov", op.spec),
                                                                    lambda: tune_tikhonov(ctx, op))
    return Solver("tikhonov", lambda y, o: tikhonov(y, o, alpha), checkpoint=label)
