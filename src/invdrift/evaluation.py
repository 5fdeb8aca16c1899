"""Checks of an unconditional generator: class coverage by the project's classifier, memorisation."""

from __future__ import annotations

import torch

from . import data
from .errors import InvdriftError


def nearest_distance(queries: torch.Tensor, reference: torch.Tensor, chunk: int = 500) -> torch.Tensor:
    """Euclidean distance from each query image to its nearest reference image."""
    ref = reference.flatten(1)
    ref_sq = ref.pow(2).sum(1)
    out = []
    for q in queries.flatten(1).split(chunk):
        d2 = q.pow(2).sum(1)[:, None] + ref_sq[None] - 2 * q @ ref.T
        out.append(d2.min(1).values.clamp_min(0).sqrt())
    return torch.cat(out)


def jpeg_roundtrip(images: torch.Tensor, quality: int) -> torch.Tensor:
    """Images in [0, 1] [N,C,H,W] encoded as JPEG at `quality` and decoded again (as 8-bit images)."""
    import io

    import numpy as np
    from PIL import Image

    decoded = []
    for image in images:
        pixels = image.mul(255).round().clamp(0, 255).byte().permute(1, 2, 0).squeeze(-1).numpy()
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
        with Image.open(buffer) as jpeg:
            decoded.append(np.array(jpeg))
    return data.to_float(np.stack(decoded))


@torch.no_grad()
def class_shares(images: torch.Tensor, dataset: str, checkpoints=None) -> list[float] | None:
    """Fraction of images per class as judged by the project's classifier (None without its weights)."""
    from .models import load_trained

    try:
        classifier, _, _ = load_trained("classifier", dataset, checkpoints)
    except InvdriftError:
        return None
    predictions = torch.cat([classifier(chunk).argmax(1) for chunk in images.split(500)])
    return (predictions.bincount(minlength=10).float() / len(images)).tolist()


@torch.no_grad()
def generator_report(generator, dataset: str, data_root, n: int = 10_000, n_nearest: int = 1000,
                     seed: int = 1234) -> dict:
    """Class shares of n samples; mean nearest-train distance of samples vs real test images.

    When the train split is partly stored as JPEG (the offline CIFAR-10 copy), the generator learned
    from JPEG-smoothed images, which are closer to each other in L2; the test images are then also
    measured after the same JPEG round trip (`nn_train_distance_test_jpeg`), a reference that went
    through the same storage as the training images."""
    chunks = [min(500, n - start) for start in range(0, n, 500)]
    samples = torch.cat([generator.sample(c, torch.Generator().manual_seed(seed + i)) for i, c in enumerate(chunks)])
    train, _ = data.load(dataset, "train", data_root)
    test, _ = data.load(dataset, "test", data_root)
    n_nearest = min(n_nearest, len(test), len(samples))
    test = test[:n_nearest]
    shares = class_shares(samples, dataset)
    report = {"class_shares": [round(s, 4) for s in shares] if shares else None,
              "nn_train_distance_samples": round(nearest_distance(samples[:n_nearest], train).mean().item(), 4),
              "nn_train_distance_test": round(nearest_distance(test, train).mean().item(), 4)}
    jpeg_share = data.lossy_share(dataset, "train", data_root)
    if jpeg_share > 0:
        jpeg_test = jpeg_roundtrip(test, data.OFFLINE_JPEG_QUALITY)
        report |= {"train_jpeg_share": round(jpeg_share, 4),
                   "nn_train_distance_test_jpeg": round(nearest_distance(jpeg_test, train).mean().item(), 4)}
    return report
