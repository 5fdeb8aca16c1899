"""`drift-cond-latent`: the conditional drifting restorer run in the autoencoder latent.

Generated and real pairs are compared on joint features (latent of x, latent of A†y scaled by β),
as `drift-cond` does in pixel space; the decoder maps the restored latent to pixels.
"""

from __future__ import annotations

import torch

from ..priors.drifting import drift_loss
from .base import local_batch
from .drift_latent import LatentRecipe, latent_features
from .restorer import _restorer_defaults, training_pairs


class DriftCondLatentRecipe(LatentRecipe):
    kind = "drift-cond-latent"

    def defaults(self, dataset: str) -> dict:
        return _restorer_defaults(dataset) | {"width": 64, "samples_per_y": 2, "beta": 1.0,
                                              "temperatures": [0.02, 0.05, 0.2], "latent_channels": 0,
                                              "ae_width": 0}


    def loss(self, model, env, step, generator, dist):
        config = env["config"]
        x, cond, op = training_pairs(env, local_batch(config, dist), generator)
        k, c, h = config["samples_per_y"], config["channels"], config["size"] // 4
        cond_k = cond.repeat(k, 1, 1, 1)
        noise = torch.randn(len(cond_k), config["latent_channels"], h, h, generator=generator)
        z_gen = model(noise, cond_k, decode=False)  # through __call__, so DistributedDataParallel syncs gradients
        core = model.module if hasattr(model, "module") else model
        with torch.no_grad():
            y_feats = [f * config["beta"] for f in latent_features(core.autoencoder.encode(cond[:, :c]))]
            positives = [torch.cat([fx, fy], -1) for fx, fy in zip(latent_features(core.autoencoder.encode(x)), y_feats)]
            y_feats_k = [f.repeat(1, k, 1) for f in y_feats]
        generated = [torch.cat([fz, fy], -1) for fz, fy in zip(latent_features(z_gen), y_feats_k)]
        loss, info = drift_loss(generated, positives, tuple(config["temperatures"]))
        return loss, {k_: round(v, 5) for k_, v in info.items() if k_.startswith("f0_")} | {"task": op.task}
