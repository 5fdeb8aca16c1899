"""Drifting in the project's autoencoder latent: f(ε) produces a latent, the drift loss compares it with
the latents of train images, and the frozen decoder maps samples to pixels."""

from __future__ import annotations

import torch

from ..priors import drift_features
from ..priors.drifting import drift_loss
from .base import Recipe, local_batch
from .drift import generator_defaults


def latent_features(z: torch.Tensor) -> list[torch.Tensor]:
    """The whole latent, plus multi-scale statistics of the latent map (per-location vectors, patches)."""
    return [drift_features.as_group(z.flatten(1))] + drift_features.map_features(z)


class LatentRecipe(Recipe):
    """A recipe whose model holds a frozen copy of the shipped autoencoder (`model.autoencoder`)."""

    def initialise(self, model, config: dict) -> None:
        """Copy the shipped autoencoder's weights into the frozen part of the model."""
        from ..models import load_trained

        autoencoder, _, label = load_trained("autoencoder", config["dataset"])
        own = model.autoencoder.state_dict()  # encoder and decoder; the class head is not needed here
        model.autoencoder.load_state_dict({k: v for k, v in autoencoder.state_dict().items() if k in own})
        config["autoencoder"] = label

    def configure(self, config: dict) -> None:
        """Latent shape and autoencoder width come from the shipped autoencoder's config."""
        from ..checkpoint import read_config
        from ..models import weights_path

        if not config["latent_channels"]:
            ae = read_config(weights_path("autoencoder", config["dataset"]))
            config["latent_channels"], config["ae_width"] = ae["latent_channels"], ae["width"]


class DriftLatentRecipe(LatentRecipe):
    kind = "drift-latent"

    def defaults(self, dataset: str) -> dict:
        return generator_defaults(dataset) | {"latent_channels": 0, "ae_width": 0}


    def setup(self, config, data_root, dist):
        env = super().setup(config, data_root, dist)
        from ..models import load_trained

        encoder, _, _ = load_trained("autoencoder", config["dataset"])
        with torch.no_grad():
            env["latents"] = torch.cat([encoder.encode(chunk.float() / 255.0) for chunk in env["images"].split(1000)])
        return env

    def loss(self, model, env, step, generator, dist):
        config = env["config"]
        noise = torch.randn(local_batch(config, dist), config["noise_dim"], generator=generator)
        idx = torch.randint(len(env["latents"]), (max(1, config["positives"] // dist.world),), generator=generator)
        generated = model(noise, decode=False)  # through __call__, so DistributedDataParallel syncs gradients
        loss, info = drift_loss(latent_features(generated), latent_features(env["latents"][idx]),
                                tuple(config["temperatures"]))
        return loss, {k: round(v, 5) for k, v in info.items() if k.startswith("f0_")}

    @torch.no_grad()
    def evaluate(self, model, env, config) -> dict:
        from ..evaluation import generator_report

        return generator_report(model, config["dataset"], env["data_root"], n=config["eval_samples"])
