"""Training recipes: per model kind, its defaults, network, loss and final evaluation."""

from __future__ import annotations

from .autoencoder import AutoencoderRecipe
from .base import Recipe
from .classifier import ClassifierRecipe
from .ddpm import DDPMRecipe
from .drift import DriftRecipe
from .drift_cond_latent import DriftCondLatentRecipe
from .drift_latent import DriftLatentRecipe
from .restorer import DriftCondFamilyRecipe, DriftCondRecipe, RegressionFamilyRecipe, RegressionRecipe

RECIPES: dict[str, Recipe] = {r.kind: r for r in (
    ClassifierRecipe(), DriftRecipe(), DriftCondRecipe(), RegressionRecipe(), DDPMRecipe(), AutoencoderRecipe(),
    DriftLatentRecipe(), DriftCondLatentRecipe(), DriftCondFamilyRecipe(), RegressionFamilyRecipe())}
