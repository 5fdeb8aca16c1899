"""`invdrift restore`: restore user images (PNG/JPEG/.npy) with any method, validating everything first.

Inputs are measurements y by default (for sr2/sr4 of size H/2 or H/4; for inpaint_random a --mask
image, white = observed, is required; for inpaint_box missing pixels are the centred square).
With --simulate the inputs are clean images: they are degraded by the protocol operator, restored,
and PSNR is printed. Measurements may leave [0, 1] because of noise; values outside [−0.5, 1.5] are
refused as wrongly scaled. Clean inputs (--simulate) must lie in [0, 1].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import data, metrics, operators
from .errors import InvdriftError
from .figures import save_png
from .models import load_trained
from .solvers import registry
from .solvers.base import Context
from .solvers.generative import STOCHASTIC_RESTORERS, posterior_draws

MEASUREMENT_RANGE = (-0.5, 1.5)


def _read_one(path: Path) -> np.ndarray:
    """A float image [C, H, W] from PNG/JPEG (scaled to [0, 1]) or .npy (taken as is)."""
    if path.suffix.lower() == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise InvdriftError(f"{path}: not a readable .npy array ({exc})") from None
        array = np.asarray(array, dtype=np.float32)
        if array.ndim == 2:
            array = array[None]
        if array.ndim != 3:
            raise InvdriftError(f"{path}: expected an array [C, H, W] or [H, W], got shape {array.shape}")
        return array
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            gray = image.mode in ("L", "1", "I;16", "I")
            pixels = np.asarray(image.convert("L" if gray else "RGB"), dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError) as exc:
        raise InvdriftError(f"{path}: not a readable image ({type(exc).__name__})") from None
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


def read_inputs(source: Path) -> tuple[list[Path], torch.Tensor]:
    """Input files (one file or a folder's images, sorted) and their stacked pixels."""
    if not source.exists():
        raise InvdriftError(f"{source}: no such file or folder")
    suffixes = data.IMAGE_SUFFIXES + (".npy",)
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in suffixes) if source.is_dir() else [source]
    if not files:
        raise InvdriftError(f"{source}: no images (.png, .jpg, .npy, …) found")
    arrays = [_read_one(p) for p in files]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise InvdriftError(f"{source}: images have different shapes {sorted(shapes)}")
    return files, torch.from_numpy(np.stack(arrays))


def _adapt_channels(x: torch.Tensor, channels: int, what: str) -> torch.Tensor:
    if x.shape[1] == channels:
        return x
    if x.shape[1] == 3 and channels == 1 and torch.equal(x[:, :1].expand_as(x), x):
        return x[:, :1]  # an RGB file holding a grey image
    raise InvdriftError(f"{what} have {x.shape[1]} channel(s), the model expects {channels}")


def validate(x: torch.Tensor, shape: tuple[int, ...], what: str, value_range: tuple[float, float]) -> torch.Tensor:
    """Shape, channel, finiteness and range checks with one clear message each."""
    x = _adapt_channels(x, shape[0], what)
    if tuple(x.shape[1:]) != tuple(shape):
        raise InvdriftError(f"{what} are {x.shape[2]}×{x.shape[3]}, expected {shape[1]}×{shape[2]}")
    if not torch.isfinite(x).all():
        raise InvdriftError(f"{what} contain NaN or Inf")
    low, high = float(x.min()), float(x.max())
    if low < value_range[0] or high > value_range[1]:
        raise InvdriftError(f"{what} have values in [{low:.3g}, {high:.3g}], outside the allowed "
                            f"[{value_range[0]}, {value_range[1]}] (images must be scaled to [0, 1])")
    return x


def _encode(image: torch.Tensor) -> "Image.Image":
    from PIL import Image

    pixels = (image.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    return Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)


def run_restore(source: Path, out: Path, task: str, method: str, dataset: str, checkpoints: Path,
                simulate: bool = False, mask: Path | None = None, seed: int = 0, data_root=None,
                samples: int = 1) -> list[Path]:
    """Validate all inputs, restore, then write OUT/<name>.png (and <name>_measured.png with --simulate).

    With `samples` K > 1 (drift-cond, drift-cond-latent) OUT/<name>.png is the mean of K posterior
    samples and OUT/<name>_sample<k>.png holds each draw.
    """
    if dataset not in data.SHAPES:
        raise InvdriftError(f"unknown dataset {dataset!r}: use one of {', '.join(data.SHAPES)}")
    names = registry.resolve(method)
    if len(names) != 1:
        raise InvdriftError("restore takes exactly one method")
    if samples < 1:
        raise InvdriftError(f"--samples must be at least 1, got {samples}")
    if samples > 1 and names[0] not in STOCHASTIC_RESTORERS:
        raise InvdriftError(f"--samples draws posterior samples of {' or '.join(STOCHASTIC_RESTORERS)}, "
                            f"not of {names[0]}")
    shape = data.SHAPES[dataset]
    op = operators.make(task, shape)
    files, pixels = read_inputs(source)
    out = out.resolve()
    targets = [out / f"{p.stem}.png" for p in files] + ([out / f"{p.stem}_measured.png" for p in files] if simulate else [])
    targets += [out / f"{p.stem}_sample{k + 1}.png" for p in files for k in range(samples if samples > 1 else 0)]
    inputs = {p.resolve() for p in files} | ({mask.resolve()} if mask else set())
    if any(t in inputs for t in targets) or (source.is_dir() and out == source.resolve()):
        raise InvdriftError(f"output folder {out} would overwrite the inputs; choose another --out")
    indices = list(range(len(files)))
    if simulate:
        clean = validate(pixels, shape, "input images", (0.0, 1.0))
        bound = op.for_images(indices, seed)
        y = bound.measure(clean, indices, seed)
    else:
        y = validate(pixels, op.y_shape, "measurements", MEASUREMENT_RANGE)
        bound = op
        if task == "inpaint_random":
            if mask is None:
                raise InvdriftError("inpaint_random needs --mask (an image, white = observed pixel)")
            _, m = read_inputs(mask)
            m = validate(m[:, :1], (1, *shape[1:]), "mask", (0.0, 1.0))
            bound = op.with_mask((m[:1] > 0.5).float())
            y = y * bound.observed(y)
    draws = None
    with torch.no_grad():
        if samples > 1:
            model, _, _ = load_trained(names[0], dataset, checkpoints)
            draws = posterior_draws(model, y, bound, samples, seed).clamp(0, 1)
            x_hat = draws.mean(0)
        else:
            solver = registry.build(names[0], Context(dataset, data_root, checkpoints, seed), bound)
            x_hat = solver(y, bound).clamp(0, 1)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for k, path in enumerate(files):
        written.append(save_png(_encode(x_hat[k]), out / f"{path.stem}.png"))
        for j in range(len(draws) if draws is not None else 0):
            written.append(save_png(_encode(draws[j, k]), out / f"{path.stem}_sample{j + 1}.png"))
        if simulate:
            written.append(save_png(_encode(bound.select(slice(k, k + 1)).pinv(y[k:k + 1])[0]),
                                    out / f"{path.stem}_measured.png"))
    if simulate:
        print(f"PSNR {metrics.psnr(x_hat, clean).mean().item():.2f} dB over {len(files)} image(s)")
    return written
