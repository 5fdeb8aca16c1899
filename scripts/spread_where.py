"""Where a trained MNIST restorer's samples spread: in frequency, and on the image.

    .venv/bin/python scripts/spread_where.py DATA CHECKPOINTS [CHECKPOINTS ...]

For each folder's `drift-cond-mnist` weights and each v1 task, on validation test images 5000–5063 with
K = 8 samples each (clamped to [0, 1], seed 0):
- the share of the samples' spread (deviations from their own mean) above half the Nyquist frequency
  (max(|f_x|, |f_y|) > 1/4 cycle per pixel), beside the same share of the mean of 8's error and of one
  sample's error: a sampler that adds grain has more of its spread at high frequency than its error;
- the share of the spread, and of one sample's squared error, on strokes (clean pixel > 0.1), on the ring
  of up to 3 pixels around them, and on the far background; the shipped regression twin's error beside.
"""

import sys

import torch
import torch.nn.functional as F

from invdrift import data, operators
from invdrift.models import load_trained

OFFSET, N, K = 5000, 64, 8


def high_frequency_share(images: torch.Tensor) -> float:
    """Share of the power of images [..., H, W] above half the Nyquist frequency."""
    frequencies = torch.fft.fftfreq(images.shape[-1]).abs()
    high = torch.maximum(frequencies[:, None], frequencies[None, :]) > 0.25
    power = torch.fft.fft2(images).abs().pow(2)
    return (power[..., high].sum() / power.sum()).item()


def regions(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Masks of strokes, the ring within 3 pixels of them, and the rest."""
    stroke = (x > 0.1).float()
    near = F.max_pool2d(stroke, 7, 1, 3)
    return {"stroke": stroke, "ring": near - stroke, "far": 1 - near}


def shares(energy: torch.Tensor, masks: dict[str, torch.Tensor]) -> str:
    """The fraction of `energy` (summed over pixels) inside each region of `masks`, as "a/b/…"."""
    total = energy.sum().item()
    return "/".join(f"{(energy * m).sum().item() / total:.2f}" for m in masks.values())


def main(data_root: str, folders: list[str]) -> None:
    torch.set_num_threads(2)
    x, _ = data.load_slice("mnist", "test", OFFSET, N, data_root)
    indices = range(OFFSET, OFFSET + N)
    masks = regions(x)
    regression, _, _ = load_trained("regression", "mnist", folders[0])
    for folder in folders:
        model, _, label = load_trained("drift-cond", "mnist", folder)
        print(f"{label}: high-frequency share of spread / mean-of-{K} error / one-sample error; "
              f"share on {'/'.join(masks)} of spread / one-sample error / regression error")
        for task in operators.TASKS:
            op = operators.make(task, x.shape[1:]).for_images(indices, 0)
            y = op.measure(x, indices)
            with torch.no_grad():
                samples = model.restore(y, op, K, torch.Generator().manual_seed(0)).clamp(0, 1)
                regressed = regression.restore(y, op, 1)[0].clamp(0, 1)
            spread = samples - samples.mean(0)
            print(f"  {task:15s} {high_frequency_share(spread):.2f} / {high_frequency_share(samples.mean(0) - x):.2f} / "
                  f"{high_frequency_share(samples[0] - x):.2f};  {shares(spread.pow(2).mean(0), masks)} / "
                  f"{shares((samples[0] - x).pow(2), masks)} / {shares((regressed - x).pow(2), masks)}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
