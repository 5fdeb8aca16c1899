"""The protocol's `fd`: Fréchet distance between classifier features of restored and clean images."""

from __future__ import annotations

import torch

from .errors import InvdriftError
from .metrics import frechet_distance
from .solvers.base import Context


def classifier_features(classifier: torch.nn.Module, images: torch.Tensor, chunk: int = 500) -> torch.Tensor:
    """Penultimate features [N, D] of images in [0, 1]."""
    with torch.no_grad():
        return torch.cat([classifier.features(c) for c in images.split(chunk)])


def fd_for(dataset: str, x_hat: torch.Tensor, x: torch.Tensor, ctx: Context) -> float | None:
    """fd of restored vs clean images of the same slice; None when no classifier weights are shipped."""
    from .models import load_trained

    def load():
        try:
            return load_trained("classifier", dataset, ctx.checkpoints)[0]
        except InvdriftError as exc:
            if "not found" in str(exc):
                return None
            raise
    classifier = ctx.cached("classifier", load)
    if classifier is None:
        return None
    reference = ctx.cached(("classifier-features", x.data_ptr(), len(x)), lambda: classifier_features(classifier, x))
    return frechet_distance(classifier_features(classifier, x_hat.clamp(0, 1)), reference)
