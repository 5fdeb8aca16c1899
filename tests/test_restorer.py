"""The conditional restorers on tiny models: shapes, stochasticity, training signal, solver wiring."""

import json
import math

import pytest
import torch

from invdrift import conditioning, operators, train
from invdrift.errors import InvdriftError
from invdrift.models import build_network, load_trained
from invdrift.nets.restorer import Restorer
from invdrift.recipes.restorer import start_from_weights
from invdrift.solvers import registry
from invdrift.solvers.base import Context

TINY = {"width": 8, "batch_size": 16, "channels": 1, "size": 28, "log_every": 5, "ckpt_every": 50, "warmup": 2}


def test_condition_channels():
    op = operators.make("inpaint_box", (1, 28, 28))
    y = op.measure(torch.rand(2, 1, 28, 28), [0, 1])
    cond = conditioning.condition(y, op)
    assert cond.shape == (2, 1 + 1 + 6, 28, 28)
    assert torch.equal(cond[:, 1:2], op.mask.expand(2, 1, 28, 28))
    assert cond[:, 2 + operators.TASKS.index("inpaint_box")].min() == 1


def test_restorer_samples_differ_and_regression_is_deterministic():
    torch.manual_seed(0)
    op = operators.make("sr4", (1, 28, 28))
    y = op.measure(torch.rand(3, 1, 28, 28), [0, 1, 2])
    stochastic, deterministic = Restorer(1, 8, True), Restorer(1, 8, False)
    deterministic.load_state_dict(stochastic.state_dict())
    s = stochastic.restore(y, op, samples=2)
    d = deterministic.restore(y, op, samples=2)
    assert s.shape == (2, 3, 1, 28, 28)
    assert not torch.equal(s[0], s[1]) and torch.equal(d[0], d[1])


def test_noise_scale_one_is_the_trained_sampler_and_larger_spreads_more():
    """`drift-cond:noise_scale=s` feeds s·ε: s = 1 gives the default draws bit for bit, s = 0 one
    deterministic output, and the shipped restorer's draws spread more at s = 2 (on the built-in samples);
    the parameter is parsed and checked like the others."""
    from invdrift import data
    from invdrift.checkpoint import default_checkpoints
    from invdrift.solvers.generative import posterior_draws

    x, _ = data.samples("mnist")
    op = operators.make("sr4", x.shape[1:])
    y = op.measure(x, range(len(x)))
    torch.manual_seed(0)
    untrained = Restorer(1, 8, True).eval()
    shipped, _, _ = load_trained("drift-cond", "mnist", default_checkpoints())
    with torch.no_grad():
        assert torch.equal(posterior_draws(untrained, y, op, 4, seed=0, noise_scale=1.0),
                           posterior_draws(untrained, y, op, 4, seed=0))
        still = posterior_draws(untrained, y, op, 4, seed=0, noise_scale=0.0)
        spread = {s: posterior_draws(shipped, y, op, 8, seed=0, noise_scale=s).clamp(0, 1).std(0).mean()
                  for s in (1.0, 2.0)}
    assert torch.equal(still[0], still[3])
    assert spread[2.0] > 1.2 * spread[1.0]
    assert registry.split_method("drift-cond-mean8:noise_scale=1.5") == ("drift-cond-mean8", {"noise_scale": 1.5})
    for bad, words in [("drift-cond:noise_scale=-1", "out of range"), ("regression:noise_scale=2", "unknown parameter"),
                       ("drift-cond-latent:noise_scale=x", "must be a finite number")]:
        with pytest.raises(InvdriftError, match=words):
            registry.resolve(bad)


def test_observed_fill_of_inpainting_samples():
    """`drift-cond:observed=…`: inpainting's observed pixels are y + σε ("noisy"), the network's own
    draws ("own"), or by default its own draws only where they sit at or beyond a bound of [0, 1] and y
    lies within 3σ of that bound ("saturated"); the hidden pixels are the network's draws in all three."""
    from invdrift.solvers.generative import at_a_bound_y_allows, posterior_draws

    torch.manual_seed(0)
    op = operators.make("inpaint_box", (1, 28, 28))
    x = torch.rand(2, 1, 28, 28) * (torch.rand(2, 1, 28, 28) < 0.5)  # half the pixels exactly 0, as MNIST's
    y = op.measure(x, [0, 1])
    model = Restorer(1, 8, True).eval()
    with torch.no_grad():
        own = posterior_draws(model, y, op, 3, seed=0, observed="own")
        noisy = posterior_draws(model, y, op, 3, seed=0, observed="noisy")
        saturated = posterior_draws(model, y, op, 3, seed=0)
        raw = model.restore(y, op, 3, torch.Generator().manual_seed(0))
    mask = op.observed(y).bool().expand_as(own)
    bound = (raw <= 0) | (raw >= 1)
    kept = at_a_bound_y_allows(raw, y, op.sigma)
    assert torch.equal(own, raw)
    assert torch.equal(own[~mask], noisy[~mask]) and not torch.allclose(own[mask], noisy[mask])
    assert (noisy[mask] - y.expand_as(noisy)[mask]).std() < 3 * op.sigma
    assert 0 < (mask & kept).sum() and 0 < (mask & bound & ~kept).sum()  # both cases occur on observed pixels
    assert torch.equal(saturated[mask & kept], raw[mask & kept])
    assert torch.equal(saturated[mask & ~kept], noisy[mask & ~kept])
    assert torch.equal(saturated[~mask], raw[~mask])
    far = (y.expand_as(raw) - raw.clamp(0, 1)).abs() > 3 * op.sigma
    assert not (kept & far).any() and torch.equal(kept, bound & ~far)
    assert registry.split_method("drift-cond-family:observed=own") == ("drift-cond-family", {"observed": "own"})
    with pytest.raises(InvdriftError, match="must be one of noisy, own, saturated"):
        registry.resolve("drift-cond:observed=1")


def test_training_pairs_are_deterministic_per_step():
    env = {"images": (torch.rand(40, 1, 28, 28) * 255).byte(), "labels": torch.zeros(40, dtype=torch.long),
           "config": {"tasks": list(operators.TASKS)}}
    from invdrift.recipes.restorer import training_pairs

    a = training_pairs(env, 8, train.step_generator(0, 3))
    b = training_pairs(env, 8, train.step_generator(0, 3))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and a[2].task == b[2].task


def test_tiny_drift_cond_and_regression_train_and_restore(tmp_path, data_root):
    for kind in ("drift-cond", "regression"):
        overrides = dict(TINY, steps=30, train_limit=512)
        train.train(kind, "mnist", overrides, tmp_path / f"run-{kind}", tmp_path, data_root, progress=False)
        model, config, label = load_trained(kind, "mnist", tmp_path)
        assert config["steps_done"] == 30 and label.startswith(f"{kind}-mnist.safetensors@")
    ctx = Context("mnist", data_root, tmp_path)
    op = operators.make("denoise", (1, 28, 28))
    x = torch.rand(4, 1, 28, 28)
    y = op.measure(x, range(4))
    for method, nfe in (("drift-cond", 1), ("drift-cond-mean8", 8), ("regression", 1)):
        solver = registry.build(method, ctx, op)
        assert solver(y, op).shape == x.shape and solver.nfe == nfe
    # same seed → same samples (a fresh generator per call)
    solver = registry.build("drift-cond", ctx, op)
    assert torch.equal(solver(y, op), solver(y, op))


def test_shipped_mnist_drift_cond_is_diverse_inside_the_hole_only():
    """Per-pixel std over 8 posterior samples is larger inside the box hole than outside."""
    from invdrift import data
    from invdrift.checkpoint import default_checkpoints

    model, _, _ = load_trained("drift-cond", "mnist", default_checkpoints())
    x, _ = data.samples("mnist")
    op = operators.make("inpaint_box", x.shape[1:])
    y = op.measure(x, range(len(x)))
    with torch.no_grad():
        draws = model.restore(y, op, 8, torch.Generator().manual_seed(0))
    std = draws.std(0).mean(dim=(0, 1))  # [H, W]
    hole = op.mask[0, 0] == 0
    assert std[hole].mean() > 2 * std[~hole].mean()


def test_keep_observed_takes_measured_pixels_only_for_inpainting():
    x = torch.rand(2, 1, 28, 28)
    op = operators.make("inpaint_random", (1, 28, 28)).for_images([0, 1])
    y = op.measure(x, [0, 1])
    draws = torch.full((3, 2, 1, 28, 28), 0.5)
    kept = conditioning.keep_observed(draws, y, op)
    assert torch.equal(kept[1] * op.mask, y) and torch.all(kept[1][op.mask.expand_as(y) == 0] == 0.5)
    blur = operators.make("deblur", (1, 28, 28))
    assert torch.equal(conditioning.keep_observed(draws, blur.measure(x, [0, 1]), blur), draws)


def test_posterior_draws_spread_observed_pixels_by_the_noise_level():
    """With `observed="noisy"` a sampling restorer draws observed pixels from y + σε (each draw its own ε);
    the regression keeps y."""
    from invdrift.solvers.generative import posterior_draws

    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    op = operators.make("inpaint_random:sigma=0.05", (1, 28, 28)).for_images(range(4))
    y = op.measure(x, range(4))
    observed = op.mask.expand_as(y) == 1
    torch.manual_seed(0)
    sampler, regression = Restorer(width=8).eval(), Restorer(width=8, stochastic=False).eval()
    with torch.no_grad():
        draws = posterior_draws(sampler, y, op, 64, seed=0, observed="noisy")
        hidden_only = posterior_draws(sampler, y, operators.make("inpaint_random:sigma=0", (1, 28, 28))
                                      .for_images(range(4)), 64, seed=0, observed="noisy")
        kept = posterior_draws(regression, y, op, 2, seed=0)
    residual = (draws - y)[:, observed]
    assert abs(residual.mean().item()) < 0.005 and abs(residual.std().item() - 0.05) < 0.005
    assert torch.equal(draws[:, ~observed], hidden_only[:, ~observed])  # the network's draws are unchanged
    assert torch.equal(kept[:, observed], y[observed].expand(2, -1))


def test_tiny_autoencoder_trains_and_reports_reconstruction_psnr(tmp_path, data_root):
    overrides = {"width": 8, "latent_channels": 2, "batch_size": 16, "steps": 10, "train_limit": 256,
                 "log_every": 5, "ckpt_every": 50, "warmup": 2}
    path = train.train("autoencoder", "mnist", overrides, tmp_path / "run", tmp_path, data_root, progress=False)
    model, config, _ = load_trained("autoencoder", "mnist", tmp_path)
    assert path.is_file() and "test_psnr_0_999" in config["results"]
    x = torch.rand(2, 1, 28, 28)
    assert model.encode(x).shape == (2, 2, 7, 7) and model.decode(model.encode(x)).shape == x.shape


@pytest.mark.parametrize("loss,twin,kind,mean_weight,scale", [
    ("drift-group", "regression", "drift-cond", 0.0, "absolute"),
    ("energy", "regression", "drift-cond", 0.0, "absolute"),
    ("drift-group", "regression-family", "drift-cond-family", 100.0, "absolute"),
    ("drift-group", "regression-family", "drift-cond-family", 1.0, "relative")])
def test_grouped_losses_train_in_bf16_and_warm_start(loss, twin, kind, mean_weight, scale, tmp_path, data_root):
    """The per-measurement losses (with or without the mean's error, absolute or relative to the batch's
    one-sample MSE) run a few bf16 steps, and `init` starts from the regression twin's weights; the other
    twin's weights are refused."""
    base = dict(TINY, steps=4, train_limit=256, batch_size=4, samples_per_y=2, mean_weight=mean_weight,
                mean_error_scale=scale)
    regression = {k: v for k, v in base.items() if k not in ("samples_per_y", "mean_weight", "mean_error_scale")}
    train.train(twin, "mnist", regression, tmp_path / "reg", tmp_path, data_root, progress=False)
    init = str(tmp_path / f"{twin}-mnist.safetensors")
    path = train.train(kind, "mnist", dict(base, loss=loss, bf16=True, init=init), tmp_path / "run",
                       tmp_path / "out", data_root, progress=False)
    record = json.loads(path.with_suffix(".json").read_text())
    assert record["loss"] == loss and record["bf16"] is True and record["mean_error_scale"] == scale
    assert record["init_weights"].startswith(f"{twin}-mnist.safetensors@")
    other = "drift-cond-family" if kind == "drift-cond" else "drift-cond"
    with pytest.raises(InvdriftError, match=f"holds a '{twin}' model"):
        train.train(other, "mnist", dict(base, loss=loss, init=init), tmp_path / "other", tmp_path / "out2",
                    data_root, progress=False)
    onward = train.train(kind, "mnist", dict(base, loss=loss, init=str(path)), tmp_path / "onward",
                         tmp_path / "out3", data_root, progress=False)  # a shipped model trained on
    assert json.loads(onward.with_suffix(".json").read_text())["init_weights"].startswith(f"{kind}-mnist.safetensors@")
    for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines():
        assert math.isfinite(json.loads(line)["loss"])
        assert ("mean_error" in json.loads(line)) == (mean_weight > 0)



def test_marginal_positives_add_clean_images_to_the_marginal_term_only(tmp_path, data_root):
    """`marginal_positives` N draws N more clean train images as the marginal term's positives: the first
    step's grouped drift (same draws, same network) is unchanged, its marginal term is not."""
    logs = {}
    for extra in (0, 8):
        settings = dict(TINY, train_limit=64, batch_size=4, steps=1, log_every=1, loss="drift-group",
                        samples_per_y=2, marginal_weight=0.5, marginal_positives=extra)
        run = tmp_path / f"run{extra}"
        train.train("drift-cond", "mnist", settings, run, tmp_path / f"out{extra}", data_root, progress=False)
        logs[extra] = json.loads((run / "log.jsonl").read_text().splitlines()[0])
    assert logs[8]["conditional"] == logs[0]["conditional"]
    assert logs[8]["marginal"] != pytest.approx(logs[0]["marginal"], rel=1e-3)
    for bad in ({"marginal_positives": 8}, {"marginal_weight": 1.0, "marginal_positives": -1},
                {"marginal_weight": 1.0, "marginal_positives": 2.5}, {"marginal_weight": 1.0, "marginal_positives": True}):
        with pytest.raises(InvdriftError, match="marginal_positives"):
            train.resolve_config("drift-cond", "mnist", {"loss": "drift-group", "samples_per_y": 2} | bad)

def test_restorer_loss_settings_are_checked():
    with pytest.raises(InvdriftError, match="unknown loss"):
        train.resolve_config("drift-cond", "mnist", {"loss": "magic"})
    with pytest.raises(InvdriftError, match="samples_per_y"):
        train.resolve_config("drift-cond", "mnist", {"loss": "energy", "samples_per_y": 1})
    for settings in ({"loss": "drift-group", "samples_per_y": 2, "mean_weight": -1.0}, {"mean_weight": 10.0}):
        with pytest.raises(InvdriftError, match="mean_weight"):
            train.resolve_config("drift-cond", "mnist", settings)
    for settings in ({"loss": "drift-group", "samples_per_y": 2, "marginal_weight": -1.0}, {"marginal_weight": 1.0}):
        with pytest.raises(InvdriftError, match="marginal_weight"):
            train.resolve_config("drift-cond", "mnist", settings)
    for kind in ("drift-cond", "drift"):
        for bad in ("abc", [], [0.02, 0.0], [0.02, -1], [True], [float("nan")]):
            with pytest.raises(InvdriftError, match="temperatures"):
                train.resolve_config(kind, "mnist", {"temperatures": bad})
        assert train.resolve_config(kind, "mnist", {"temperatures": [0.01, 0.05]})["temperatures"] == [0.01, 0.05]
    for bad, message in (("denoise", "tasks"), ([], "tasks"), (["denoise", 3], "tasks"), (["sr3"], "sr3")):
        with pytest.raises(InvdriftError, match=message):
            train.resolve_config("drift-cond", "mnist", {"tasks": bad})
    repeated = ["denoise", "inpaint_box", "inpaint_box"]
    assert train.resolve_config("regression", "mnist", {"tasks": repeated})["tasks"] == repeated
    with pytest.raises(InvdriftError, match="mean_error_scale 'log': use one of absolute, relative"):
        train.resolve_config("drift-cond", "mnist", {"mean_error_scale": "log"})


def test_shipped_restorer_in_bf16_matches_float32_and_says_so():
    """bench --bf16 runs the trained restorers under bf16 autocast: same estimate within 0.05 dB of float32
    on the built-in samples, float32 output, and `precision` names it."""
    from invdrift import data, metrics
    from invdrift.checkpoint import default_checkpoints
    from invdrift.solvers import registry
    from invdrift.solvers.base import Context

    x, _ = data.samples("mnist")
    op = operators.make("deblur", x.shape[1:])
    y = op.measure(x, range(len(x)))
    solvers = {bf16: registry.build("drift-cond", Context("mnist", checkpoints=default_checkpoints(), bf16=bf16), op)
               for bf16 in (False, True)}
    with torch.no_grad():
        out = {bf16: solver(y, op) for bf16, solver in solvers.items()}
    assert out[True].dtype == torch.float32 and not torch.equal(out[True], out[False])
    gap = (metrics.psnr(out[True].clamp(0, 1), x) - metrics.psnr(out[False].clamp(0, 1), x)).mean().abs()
    assert gap < 0.05
    assert [solvers[b].precision for b in (False, True)] == ["float32", "bf16"]


def test_training_on_with_more_steps_equals_one_longer_run(tmp_path, data_root):
    """A finished run given a larger `steps` trains on; the weights equal those of one run with that `steps`."""
    from safetensors.torch import load_file

    base = dict(TINY, train_limit=256, batch_size=4, warmup=2)
    train.train("regression", "mnist", dict(base, steps=3), tmp_path / "run", tmp_path / "short", data_root,
                progress=False)
    extended = train.train("regression", "mnist", dict(base, steps=6), tmp_path / "run", tmp_path / "on", data_root,
                           progress=False)
    single = train.train("regression", "mnist", dict(base, steps=6), tmp_path / "one", tmp_path / "single", data_root,
                         progress=False)
    a, b = load_file(str(extended)), load_file(str(single))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    short = load_file(str(tmp_path / "short" / extended.name))
    assert not all(torch.equal(a[k], short[k]) for k in a)  # it did train on


def test_a_decaying_run_refuses_to_resume_with_another_length(tmp_path, data_root):
    """Without decay a finished run may train on with more steps; with decay the length is the schedule."""
    settings = dict(TINY, train_limit=256, batch_size=4, steps=2, lr_decay="linear")
    train.train("regression", "mnist", settings, tmp_path / "run", tmp_path / "out", data_root, progress=False)
    with pytest.raises(InvdriftError, match="different configuration \\(steps\\)"):
        train.train("regression", "mnist", dict(settings, steps=4), tmp_path / "run", tmp_path / "out", data_root,
                    progress=False)


def test_attention_middle_grows_from_plain_weights_as_the_same_function_then_trains(tmp_path, data_root):
    """`mid=attention` started from plain U-Net weights computes exactly what they computed; a few training
    steps move its added layers off the identity; the way back (attention → res) and unknown middles are
    refused with one line."""
    tiny = dict(TINY, steps=3, train_limit=64, batch_size=4)
    plain_path = train.train("regression", "mnist", tiny, tmp_path / "plain", tmp_path / "plain_out", data_root,
                             progress=False)
    plain, _, _ = load_trained("regression", "mnist", tmp_path / "plain_out")
    grown_config = train.resolve_config("regression", "mnist", dict(tiny, mid="attention", init=str(plain_path)))
    grown = build_network("regression", grown_config)
    start_from_weights(grown, grown_config, ("regression",))
    cond = torch.rand(5, plain.net.inc.in_channels - 1, 28, 28)
    assert torch.equal(grown(torch.zeros(5, 1, 28, 28), cond), plain(torch.zeros(5, 1, 28, 28), cond))

    path = train.train("regression", "mnist", dict(tiny, mid="attention", init=str(plain_path), ema=0.0),
                       tmp_path / "grown", tmp_path / "grown_out", data_root, progress=False)
    trained, record, _ = load_trained("regression", "mnist", tmp_path / "grown_out")
    assert record["mid"] == "attention" and trained.net.mid_attention.proj.weight.abs().sum() > 0
    with pytest.raises(InvdriftError, match="only res → attention grows"):
        train.train("regression", "mnist", dict(tiny, init=str(path)), tmp_path / "back", tmp_path / "back_out",
                    data_root, progress=False)
    with pytest.raises(InvdriftError, match="mid 'deep'"):
        train.resolve_config("drift-cond", "mnist", {"mid": "deep"})


def test_a_run_saved_before_mid_existed_resumes_as_the_plain_unet(tmp_path, data_root):
    """A run state whose config has no `mid` (saved before the setting existed) resumes as `mid=res`;
    asked to go on as `mid=attention` it is refused."""
    settings = dict(TINY, train_limit=64, batch_size=4, steps=2)
    train.train("regression", "mnist", settings, tmp_path / "run", tmp_path / "out", data_root, progress=False)
    state = tmp_path / "run" / "state.json"
    meta = json.loads(state.read_text())
    del meta["config"]["mid"]
    state.write_text(json.dumps(meta))
    path = train.train("regression", "mnist", dict(settings, steps=3), tmp_path / "run", tmp_path / "out", data_root,
                       progress=False)
    assert json.loads(path.with_suffix(".json").read_text())["steps"] == 3
    with pytest.raises(InvdriftError, match="different configuration \\(mid\\)"):
        train.train("regression", "mnist", dict(settings, steps=4, mid="attention"), tmp_path / "run",
                    tmp_path / "out", data_root, progress=False)


def test_input_noise_downsampled_draws_blocks_and_one_is_the_old_draw():
    """`noise_downsample=1` is the per-pixel draw of every shipped restorer bit for bit; r > 1 repeats one
    normal draw over r × r blocks; an r that does not divide the image is refused."""
    from invdrift.nets.restorer import input_noise

    g = torch.Generator().manual_seed(3)
    same_seed = torch.Generator().manual_seed(3)
    assert torch.equal(input_noise(2, 1, 28, 28, 1, g), torch.randn(2, 1, 28, 28, generator=same_seed))
    blocks = input_noise(2, 3, 32, 32, 4, torch.Generator().manual_seed(3))
    assert blocks.shape == (2, 3, 32, 32)
    assert torch.equal(blocks[..., ::4, ::4].repeat_interleave(4, -1).repeat_interleave(4, -2), blocks)
    assert blocks[..., ::4, ::4].std() > 0.8
    with pytest.raises(ValueError, match="does not divide"):
        input_noise(1, 1, 28, 28, 3)
    with pytest.raises(InvdriftError, match="noise_downsample 3"):
        train.resolve_config("drift-cond", "mnist", {"noise_downsample": 3})


def test_a_block_noise_run_trains_records_and_restores_with_it(tmp_path, data_root):
    """A tiny run with `noise_downsample=2` records r, and its loaded model restores with it."""
    settings = dict(TINY, train_limit=64, batch_size=4, steps=2, loss="drift-group", samples_per_y=2,
                    noise_downsample=2)
    path = train.train("drift-cond", "mnist", settings, tmp_path / "run", tmp_path / "out", data_root, progress=False)
    model, config, _ = load_trained("drift-cond", "mnist", tmp_path / "out")
    assert model.noise_downsample == 2 and config["noise_downsample"] == 2
    op = operators.make("denoise", (1, 28, 28))
    y = op.measure(torch.rand(2, 1, 28, 28), [0, 1])
    with torch.no_grad():
        draws = model.restore(y, op, 2, torch.Generator().manual_seed(0))
    assert draws.shape == (2, 2, 1, 28, 28) and not torch.equal(draws[0], draws[1])
    assert json.loads(path.with_suffix(".json").read_text())["noise_downsample"] == 2


def test_marginal_term_adds_the_batch_drift_to_the_grouped_loss(tmp_path, data_root):
    """`marginal_weight` w adds w × the drift of all the batch's samples towards all its clean images: the
    logged loss is the grouped drift plus w times that term, both logged."""
    settings = dict(TINY, train_limit=64, batch_size=4, steps=3, log_every=1, loss="drift-group", samples_per_y=2,
                    marginal_weight=0.5)
    train.train("drift-cond", "mnist", settings, tmp_path / "run", tmp_path / "out", data_root, progress=False)
    lines = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert len(lines) == 3
    for line in lines:
        assert line["marginal"] > 0 and line["conditional"] > 0
        assert line["loss"] == pytest.approx(line["conditional"] + 0.5 * line["marginal"], rel=1e-4)


def grouped_drift_logs(tmp_path, data_root, term: str, weights: tuple[float, ...]) -> dict[float, list[dict]]:
    """The logged lines of two-step grouped-drift trainings, one per weight of the added `term`."""
    logs = {}
    for weight in weights:
        settings = dict(TINY, train_limit=64, batch_size=4, steps=2, log_every=1, loss="drift-group",
                        samples_per_y=2, **{term: weight})
        train.train("drift-cond", "mnist", settings, tmp_path / f"run{weight}", tmp_path / f"out{weight}",
                    data_root, progress=False)
        logs[weight] = [json.loads(line) for line in (tmp_path / f"run{weight}" / "log.jsonl").read_text().splitlines()]
    return logs


def test_energy_term_adds_the_energy_score_to_the_grouped_drift(tmp_path, data_root):
    """`energy_weight` λ adds λ × the energy score per group on the same features: the logged loss is the
    drift plus λ times the score, both logged; at λ = 0 nothing is added and the first step's drift (same
    draws, same network) is the same. Without the grouped drift, or negative, it is refused in one line."""
    logs = grouped_drift_logs(tmp_path, data_root, "energy_weight", (0.0, 0.5))
    assert "energy" not in logs[0.0][0]
    for line in logs[0.5]:
        assert line["energy"] > 0 and line["loss"] == pytest.approx(line["drift"] + 0.5 * line["energy"], rel=1e-4)
    assert logs[0.5][0]["drift"] == pytest.approx(logs[0.0][0]["loss"], rel=1e-6)
    for settings in ({"loss": "drift-group", "samples_per_y": 2, "energy_weight": -1.0},
                     {"loss": "energy", "samples_per_y": 2, "energy_weight": 1.0}, {"energy_weight": 1.0}):
        with pytest.raises(InvdriftError, match="energy_weight"):
            train.resolve_config("drift-cond", "mnist", settings)


def test_crps_term_adds_every_pixels_crps_to_a_grouped_loss(tmp_path, data_root):
    """`crps_weight` μ adds μ × the per-pixel CRPS of each group, logged: the first step's loss (same draws,
    same network) is the loss without it plus μ times it; with the joint loss, or negative, it is refused."""
    logs = grouped_drift_logs(tmp_path, data_root, "crps_weight", (0.0, 0.5))
    assert "crps" not in logs[0.0][0] and all(0 < line["crps"] < 1 for line in logs[0.5])
    first = logs[0.5][0]
    assert first["loss"] == pytest.approx(logs[0.0][0]["loss"] + 0.5 * first["crps"], rel=1e-5)
    for bad in ({"loss": "drift-group", "samples_per_y": 2, "crps_weight": -1.0}, {"crps_weight": 1.0}):
        with pytest.raises(InvdriftError, match="crps_weight"):
            train.resolve_config("drift-cond", "mnist", bad)


def test_widened_weights_compute_the_same_function_with_their_copies_apart():
    """Net2Wider (nets/widen.py): width 32 → 64 gives the same output to float rounding; the two copies of
    each input weight differ (so training can separate them); shapes that are not a doubling are refused."""
    from invdrift.nets.widen import groups_kept, widen_state, widen_tensor

    torch.manual_seed(0)
    narrow = Restorer(1, 32, conditioning="operator")
    wide = Restorer(1, 64, conditioning="operator")
    shapes = {k: v.shape for k, v in wide.state_dict().items()}
    wide.load_state_dict(widen_state(narrow.state_dict(), shapes, generator=torch.Generator().manual_seed(0)))
    noise, cond = torch.randn(3, 1, 28, 28), torch.rand(3, 4, 28, 28)
    with torch.no_grad():
        assert torch.allclose(wide(noise, cond), narrow(noise, cond), atol=1e-5)
    weight = wide.net.enc0.in_layers[2].weight  # [64, 64, 3, 3], both axes doubled
    assert not torch.equal(weight[:, 0::2], weight[:, 1::2])
    narrow_weight = narrow.net.enc0.in_layers[2].weight
    assert torch.allclose(weight[:, 0::2] + weight[:, 1::2], narrow_weight.repeat_interleave(2, 0))
    again = widen_state(narrow.state_dict(), shapes, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(again[k], wide.state_dict()[k]) for k in again)  # one seed, one result
    assert groups_kept(32) and not groups_kept(8)
    with pytest.raises(ValueError, match="cannot widen"):
        widen_tensor(torch.zeros(4, 3), torch.Size([6, 3]), 0.1)


def test_a_run_of_twice_the_width_starts_from_narrow_weights(tmp_path, data_root):
    """`--set width=2w --set init=W` (W of width w ≥ 32) trains on from the widened weights; other widths, and
    widths under 32 (GroupNorm would regroup the channels), are refused with one line."""
    tiny = dict(TINY, width=32, steps=1, train_limit=16, batch_size=2)
    narrow = train.train("regression", "mnist", tiny, tmp_path / "narrow", tmp_path / "narrow_out", data_root,
                         progress=False)
    wide = train.train("regression", "mnist", dict(tiny, width=64, init=str(narrow)), tmp_path / "wide",
                       tmp_path / "wide_out", data_root, progress=False)
    record = json.loads(wide.with_suffix(".json").read_text())
    assert record["width"] == 64 and record["init_width"] == 32
    with pytest.raises(InvdriftError, match="the same width or twice it"):
        train.train("regression", "mnist", dict(tiny, width=48, init=str(narrow)), tmp_path / "w48",
                    tmp_path / "w48_out", data_root, progress=False)
    small = train.train("regression", "mnist", dict(tiny, width=8), tmp_path / "small", tmp_path / "small_out",
                        data_root, progress=False)
    with pytest.raises(InvdriftError, match="width ≥ 32 can be widened"):
        train.train("regression", "mnist", dict(tiny, width=16, init=str(small)), tmp_path / "w16",
                    tmp_path / "w16_out", data_root, progress=False)
