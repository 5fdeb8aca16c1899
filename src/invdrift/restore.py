"""`invdrift restore`: restore user images (PNG/JPEG/.npy) with any method, validating everything first.

Inputs are measurements y by default (for sr2/sr4 of size H/2 or H/4; for inpaint_random a --mask
image, white = observed, is required; for inpaint_box missing pixels are the centred square).
With --simulate the inputs are clean images: they are degraded by the protocol operator, restored,
and PSNR is printed; the measurement is written as NAME_measured.npy, which restore takes back. Measurements may leave [0, 1] because of noise; values outside [−0.5, 1.5] are
refused as wrongly scaled. Clean inputs (--simulate) must lie in [0, 1].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import data, metrics, operators
from .errors import InvdriftError
from .fileio import write_npy_atomic, write_text_atomic
from .figures import save_png
from .solvers import registry
from .solvers.base import Context
from .solvers.generative import STOCHASTIC_RESTORERS

MEASUREMENT_RANGE = (-0.5, 1.5)
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I")


def _read_one(path: Path) -> np.ndarray:
    """A float image [C, H, W] from PNG/JPEG (8-bit scaled by 255, 16-bit by 65535) or .npy (as is)."""
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
        if array.shape[-1] in (1, 3) and array.shape[0] not in (1, 3):
            raise InvdriftError(f"{path}: shape {array.shape} looks like [H, W, C]; save it as [C, H, W] "
                                "(numpy.transpose(a, (2, 0, 1)))")
        return array
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in SIXTEEN_BIT_MODES:
                raw = np.asarray(image)
                if raw.min() < 0 or raw.max() > 65535:
                    raise InvdriftError(f"{path}: {image.mode} image with values outside 0–65535")
                return (raw.astype(np.float64) / 65535.0).astype(np.float32)[None]
            gray = image.mode in ("L", "1", "LA")
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
        first = {}
        for p, a in zip(files, arrays):
            first.setdefault(a.shape, p.name)
        described = ", ".join(f"{name} is {list(shape)}" for shape, name in first.items())
        raise InvdriftError(f"{source}: images have different shapes ({described})")
    return files, torch.from_numpy(np.stack(arrays))


def _dataset_hint(channels: int, size: int | None = None) -> str:
    """' (… use --dataset D)' when inputs with this channel count (and side) fit another dataset, else ''."""
    fits = [name for name, s in data.SHAPES.items()
            if s[0] == channels and (size is None or s[1] == size) and name != "fashion-mnist"]
    return f" (these look like {fits[0]} images: use --dataset {fits[0]})" if fits else ""


def validate(x: torch.Tensor, shape: tuple[int, ...], what: str, value_range: tuple[float, float],
             names: list[str] | None = None, expected_clean: tuple[int, ...] | None = None) -> torch.Tensor:
    """Shape, channel, finiteness and range checks with one clear message each, naming the file."""
    names = names or [f"image {i}" for i in range(len(x))]
    if x.shape[1] != shape[0]:
        if x.shape[1] == 3 and shape[0] == 1 and torch.equal(x[:, :1].expand_as(x), x):
            x = x[:, :1]  # an RGB file holding a grey image
        else:
            hint = _dataset_hint(x.shape[1])
            raise InvdriftError(f"{names[0]}: {what} have {x.shape[1]} channel(s), the model expects "
                                f"{shape[0]}{hint}")
    if tuple(x.shape[1:]) != tuple(shape):
        hint = _dataset_hint(x.shape[1], x.shape[2]) if expected_clean is None or expected_clean == shape else ""
        raise InvdriftError(f"{names[0]}: {what} are {x.shape[2]}×{x.shape[3]}, expected {shape[1]}×{shape[2]}{hint}")
    for i, name in enumerate(names):
        if not torch.isfinite(x[i]).all():
            raise InvdriftError(f"{name}: {what} contain NaN or Inf")
        low, high = float(x[i].min()), float(x[i].max())
        if low < value_range[0] or high > value_range[1]:
            cause = " — it looks like 0–255 pixel values: scale to [0, 1]" if high > 2 else ""
            raise InvdriftError(f"{name}: {what} have values in [{low:.3g}, {high:.3g}], outside the allowed "
                                f"[{value_range[0]}, {value_range[1]}]{cause}")
    return x


def _encode(image: torch.Tensor) -> "Image.Image":
    from PIL import Image

    pixels = (image.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    return Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)


def output_names(files: list[Path], simulate: bool, samples: int, random_mask: bool) -> dict[str, list[str]]:
    """Per input, the files restore writes (stem-based); refuses two inputs that share a stem."""
    seen: dict[str, str] = {}
    for p in files:
        if p.stem in seen:
            raise InvdriftError(f"inputs {seen[p.stem]} and {p.name} would both be written as {p.stem}.png; "
                                "rename one or restore them separately")
        seen[p.stem] = p.name
    names = {}
    for p in files:
        own = [f"{p.stem}.png"]
        if simulate:
            own += [f"{p.stem}_measured.npy", f"{p.stem}_measured.png", f"{p.stem}_pinv.png"]
            own += [f"{p.stem}_mask.png"] if random_mask else []
        own += [f"{p.stem}_sample{k + 1}.png" for k in range(samples if samples > 1 else 0)]
        names[p.name] = own
    return names


def check_output_folder(out: Path, targets: list[Path], inputs: set[Path], source: Path, overwrite: bool) -> None:
    """Before any work: --out must be a folder (or new), never an input, and hold none of the targets
    unless `overwrite`."""
    if out.exists() and not out.is_dir():
        raise InvdriftError(f"--out {out} is an existing file; give a folder")
    if any(t in inputs for t in targets) or (source.is_dir() and out == source.resolve()):
        raise InvdriftError(f"output folder {out} would overwrite the inputs; choose another --out")
    existing = [t.name for t in targets if t.exists()]
    if existing and not overwrite:
        more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
        raise InvdriftError(f"{out} already holds {existing[0]}{more}; choose another --out or pass --overwrite")


def run_restore(source: Path, out: Path, task: str, method: str, dataset: str, checkpoints: Path,
                simulate: bool = False, mask: Path | None = None, seed: int = 0, data_root=None,
                samples: int = 1, overwrite: bool = False) -> list[Path]:
    """Validate all inputs, restore, then write OUT/<name>.png and OUT/metrics.csv.

    With --simulate also <name>_measured.npy (the exact measurement y, which `restore` takes back),
    <name>_measured.png (y clipped to [0, 1]), <name>_pinv.png (A†y) and, for random inpainting
    without --mask, <name>_mask.png. With `samples` K > 1 (the sampling restorers, with their parameters)
    OUT/<name>.png is the mean of K posterior samples and OUT/<name>_sample<k>.png holds each draw.
    """
    if dataset not in data.SHAPES:
        raise InvdriftError(f"unknown dataset {dataset!r}: use one of {', '.join(data.SHAPES)}")
    names = registry.resolve(method)
    if len(names) != 1:
        raise InvdriftError("restore takes exactly one method")
    if samples < 1:
        raise InvdriftError(f"--samples must be at least 1, got {samples}")
    if samples > 1 and registry.split_method(names[0])[0] not in STOCHASTIC_RESTORERS:
        raise InvdriftError(f"--samples draws posterior samples of {' or '.join(STOCHASTIC_RESTORERS)}, "
                            f"not of {names[0]}")
    shape = data.SHAPES[dataset]
    op = operators.make(task, shape)
    if mask is not None and op.task != "inpaint_random":
        raise InvdriftError(f"--mask applies only to inpaint_random (the {op.task} operator has no mask to give)")
    applies = registry.method_of(names[0]).tasks
    if op.task not in applies:
        raise InvdriftError(f"{names[0]} does not apply to {op.task} (only {', '.join(applies)})")
    files, pixels = read_inputs(source)
    out = out.resolve()
    random_mask = simulate and op.task == "inpaint_random" and mask is None
    planned = output_names(files, simulate, samples, random_mask)
    targets = [out / name for own in planned.values() for name in own] + [out / "metrics.csv"]
    inputs = {p.resolve() for p in files} | ({mask.resolve()} if mask else set())
    check_output_folder(out, targets, inputs, source, overwrite)
    labels = [p.name for p in files]
    indices = list(range(len(files)))
    given_mask = None
    if mask is not None:
        _, m = read_inputs(mask)
        m = validate(m[:, :1], (1, *shape[1:]), "mask", (0.0, 1.0), [mask.name])
        given_mask = (m[:1] > 0.5).float()
    if simulate:
        clean = validate(pixels, shape, "input images", (0.0, 1.0), labels)
        bound = op.for_images(indices, seed) if given_mask is None else op.with_mask(given_mask)
        y = bound.measure(clean, indices, seed) if given_mask is None else _measure_with_mask(bound, clean, indices, seed)
    else:
        y = validate(pixels, op.y_shape, "measurements", MEASUREMENT_RANGE, labels, expected_clean=shape)
        bound = op
        if op.task == "inpaint_random":
            if given_mask is None:
                raise InvdriftError("inpaint_random needs --mask (an image, white = observed pixel)")
            bound = op.with_mask(given_mask)
            y = y * bound.observed(y)
    draws = None
    with torch.no_grad():
        solver = registry.build(names[0], Context(dataset, data_root, checkpoints, seed), bound)
        weights = solver.checkpoint
        if samples > 1:
            draws = solver.sample(y, bound, samples).clamp(0, 1)
            x_hat = draws.mean(0)
        else:
            x_hat = solver(y, bound).clamp(0, 1)
    print(f"restored {len(files)} image(s): {names[0]} on {dataset} ({op.name}, σ {op.sigma}), "
          f"weights {weights or 'none (no trained model)'}" + (f", {samples} samples each" if samples > 1 else ""))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for k, path in enumerate(files):
        written.append(save_png(_encode(x_hat[k]), out / f"{path.stem}.png"))
        for j in range(len(draws) if draws is not None else 0):
            written.append(save_png(_encode(draws[j, k]), out / f"{path.stem}_sample{j + 1}.png"))
        if simulate:
            one = bound.select(slice(k, k + 1))
            written.append(write_npy_atomic(out / f"{path.stem}_measured.npy", y[k].numpy().astype(np.float32)))
            written.append(save_png(_encode(y[k]), out / f"{path.stem}_measured.png"))
            written.append(save_png(_encode(one.pinv(y[k:k + 1])[0]), out / f"{path.stem}_pinv.png"))
            if random_mask:
                written.append(save_png(_encode(one.mask[0].float()), out / f"{path.stem}_mask.png"))
    written.append(write_metrics(out / "metrics.csv", files, x_hat, y, bound, clean if simulate else None, draws))
    if simulate:
        print(f"PSNR {metrics.psnr(x_hat, clean).mean().item():.2f} dB over {len(files)} image(s) "
              f"(per image: {out / 'metrics.csv'})")
    return written


def _measure_with_mask(bound: operators.Operator, clean: torch.Tensor, indices: list[int], seed: int) -> torch.Tensor:
    """y = A x + σ n with a given mask (noise from the protocol's per-image generators)."""
    noise = torch.stack([torch.randn(bound.y_shape, generator=operators.image_generator(seed, i)) for i in indices])
    exact = bound.A(clean)
    return exact + bound.sigma * noise * bound.observed(exact)


def write_metrics(path: Path, files: list[Path], x_hat: torch.Tensor, y: torch.Tensor, op: operators.Operator,
                  clean: torch.Tensor | None, draws: torch.Tensor | None) -> Path:
    """OUT/metrics.csv, one row per image: consistency, and with clean images psnr, ssim (and per sample)."""
    import csv
    import io


    columns = ["name", "consistency"]
    values: dict[str, torch.Tensor] = {"consistency": metrics.consistency(x_hat, y, op)}
    if clean is not None:
        columns += ["psnr", "ssim"]
        values |= {"psnr": metrics.psnr(x_hat, clean), "ssim": metrics.ssim(x_hat, clean)}
        if draws is not None:
            for j in range(len(draws)):
                values[f"psnr_sample{j + 1}"] = metrics.psnr(draws[j], clean)
            columns += [f"psnr_sample{j + 1}" for j in range(len(draws))]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for i, p in enumerate(files):
        writer.writerow([p.name] + [f"{values[c][i].item():.4f}" for c in columns[1:]])
    write_text_atomic(path, buffer.getvalue())
    return path
