"""The network of each model kind, built from its recorded config (shared by training and loading)."""

from __future__ import annotations

from typing import Callable

import torch

from .errors import InvdriftError


def _classifier(config: dict) -> torch.nn.Module:
    from .nets.classifier import Classifier

    return Classifier(config["channels"], config["width"], config["feature_dim"])


def _generator(config: dict) -> torch.nn.Module:
    from .nets.generator import Generator

    return Generator(config["channels"], config["size"], config["noise_dim"], config["width"])


def _restorer(stochastic: bool) -> Callable[[dict], torch.nn.Module]:
    def build(config: dict) -> torch.nn.Module:
        from .nets.restorer import Restorer

        return Restorer(config["channels"], config["width"], stochastic=stochastic,
                        conditioning=config.get("conditioning", "task"), mid=config.get("mid", "res"),
                        noise_downsample=config.get("noise_downsample", 1),
                        sigma_embedding=config.get("sigma_embedding", False),
                        output_gain=config.get("output_gain", False))
    return build


def _denoiser(config: dict) -> torch.nn.Module:
    from .nets.denoiser import Denoiser

    return Denoiser(config["channels"], config["width"])


def _autoencoder(config: dict) -> torch.nn.Module:
    from .nets.autoencoder import Autoencoder

    classes = 10 if config.get("semantic_weight", 0) > 0 else 0
    return Autoencoder(config["channels"], config["width"], config["latent_channels"], classes, config["size"])


def _latent_generator(config: dict) -> torch.nn.Module:
    from .nets.latent_generator import LatentGenerator

    return LatentGenerator(config["channels"], config["size"], config["latent_channels"], config["ae_width"],
                           config["noise_dim"], config["width"])


def _latent_restorer(config: dict) -> torch.nn.Module:
    from .nets.latent_restorer import LatentRestorer

    return LatentRestorer(config["channels"], config["latent_channels"], config["ae_width"], config["width"])


ARCHITECTURES: dict[str, Callable[[dict], torch.nn.Module]] = {
    "classifier": _classifier, "drift": _generator, "drift-cond": _restorer(True), "regression": _restorer(False),
    "drift-cond-family": _restorer(True), "regression-family": _restorer(False),
    "ddpm": _denoiser, "autoencoder": _autoencoder, "drift-latent": _latent_generator,
    "drift-cond-latent": _latent_restorer}


def build_network(kind: str, config: dict, source: str = "") -> torch.nn.Module:
    """A freshly initialised network of model `kind` with the sizes in `config`; a config that describes
    no network (a size missing, a value out of place) is one clear error naming `source` (its file)."""
    if kind not in ARCHITECTURES:
        raise InvdriftError(f"no network for model kind {kind!r} (known: {', '.join(ARCHITECTURES)})")
    where = f" in {source}" if source else ""
    try:
        return ARCHITECTURES[kind](config)
    except KeyError as exc:
        raise InvdriftError(f"config of the {kind} model{where} lacks the setting {exc.args[0]!r}") from None
    except (ValueError, TypeError, RuntimeError) as exc:
        raise InvdriftError(f"config of the {kind} model{where} describes no network ({exc})") from None
