"""Latent-space drifting: a tiny autoencoder, a tiny latent generator on it, latent optimisation through both."""

import torch

from invdrift import operators, train
from invdrift.checkpoint import read_config
from invdrift.models import load_trained
from invdrift.solvers import registry
from invdrift.solvers.base import Context


def test_latent_generator_trains_on_a_frozen_autoencoder_and_restores(tmp_path, data_root, monkeypatch):
    monkeypatch.setenv("INVDRIFT_CHECKPOINTS", str(tmp_path))
    small = {"batch_size": 16, "steps": 4, "train_limit": 256, "log_every": 2, "ckpt_every": 50, "warmup": 1}
    train.train("autoencoder", "mnist", small | {"width": 8, "latent_channels": 2}, tmp_path / "ae", tmp_path,
                data_root, progress=False)
    autoencoder, ae_config, ae_label = load_trained("autoencoder", "mnist", tmp_path)
    assert 0.0 <= ae_config["results"]["head_accuracy_0_999"] <= 1.0  # the class head is trained and measured
    assert autoencoder.classify(autoencoder.encode(torch.rand(3, 1, 28, 28))).shape == (3, 10)
    path = train.train("drift-latent", "mnist", small | {"width": 8, "positives": 16, "eval_samples": 64},
                       tmp_path / "dl", tmp_path, data_root, progress=False)
    config = read_config(path)
    assert config["autoencoder"] == ae_label and config["latent_channels"] == 2 and config["ae_width"] == 8
    generator, _, _ = load_trained("drift-latent", "mnist", tmp_path)
    decoder = {k: v for k, v in generator.state_dict().items() if k.startswith("autoencoder.")}
    assert all(torch.equal(v, autoencoder.state_dict()[k.removeprefix("autoencoder.")]) for k, v in decoder.items())
    noise = torch.randn(3, config["noise_dim"])
    assert generator(noise, decode=False).shape == (3, 2, 7, 7) and generator(noise).shape == (3, 1, 28, 28)
    op = operators.make("inpaint_box", (1, 28, 28)).for_images([0, 1], 0)
    y = op.measure(torch.rand(2, 1, 28, 28), [0, 1])
    solver = registry.build("drift-opt-latent", Context("mnist", data_root, tmp_path), op)
    solver.solve.steps, solver.solve.restarts = 3, 2
    out = solver(y, op)
    assert out.shape == (2, 1, 28, 28) and torch.isfinite(out).all() and torch.equal(out, solver(y, op))
    path = train.train("drift-cond-latent", "mnist", small | {"width": 8}, tmp_path / "dcl", tmp_path, data_root,
                       progress=False)
    assert read_config(path)["autoencoder"] == ae_label
    observed = op.mask.expand_as(y) == 1
    for name, spread in (("drift-cond-latent:observed=noisy", op.sigma),
                         ("drift-cond-latent-mean8:observed=noisy", op.sigma / 8 ** 0.5)):
        solver = registry.build(name, Context("mnist", data_root, tmp_path), op)
        out = solver(y, op)
        assert out.shape == (2, 1, 28, 28) and torch.isfinite(out).all()
        residual = (out - y)[observed]  # observed pixels: y + σε per sample (their likelihood), averaged for -mean8
        assert residual.abs().max() < 6 * spread and 0.8 * spread < residual.std() < 1.2 * spread
    assert solver.nfe == 8
