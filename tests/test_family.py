"""The operator family and the restorers trained on it: draws, membership, task-free conditioning."""

import json
import math

import pytest
import torch

from invdrift import operators
from invdrift.conditioning import condition, condition_channels, regularised_inverse
from invdrift.operator_family import draw_blur_std, in_family, random_operator

MNIST = (1, 28, 28)


def test_draws_are_seeded_and_inside_the_family():
    first = [random_operator(4, MNIST, torch.Generator().manual_seed(s)).spec for s in range(30)]
    again = [random_operator(4, MNIST, torch.Generator().manual_seed(s)).spec for s in range(30)]
    assert first == again and len(set(first)) == 30
    kinds = set()
    for s in range(60):
        op = random_operator(4, MNIST, torch.Generator().manual_seed(s))
        kinds.add(op.task)
        assert 0.005 <= op.sigma <= 0.3
        if op.task == "inpaint_box":
            holes = (op.mask == 0).flatten(1).sum(1)
            assert op.mask.shape == (4, 1, 28, 28) and (holes >= 9).all() and (holes <= 196).all()
        else:
            assert in_family(op)
    assert kinds == set(operators.TASKS)


def test_a_share_of_draws_can_be_the_v1_operators():
    """`v1_share` 0 leaves the draws unchanged (no extra random number); 1 gives only v1 operators; a half
    gives both, in about equal parts, all inside the family."""
    def spec(seed: int, share: float) -> str:
        return random_operator(4, MNIST, torch.Generator().manual_seed(seed), share).spec

    assert [spec(s, 0.0) for s in range(20)] == [random_operator(4, MNIST, torch.Generator().manual_seed(s)).spec
                                                 for s in range(20)]
    assert {spec(s, 1.0) for s in range(60)} == {operators.make(t, MNIST).spec for t in operators.TASKS}
    half = [random_operator(4, MNIST, torch.Generator().manual_seed(s), 0.5) for s in range(200)]
    v1 = sum(op.is_v1 for op in half)
    assert 70 <= v1 <= 130 and all(in_family(op) for op in half if op.task != "inpaint_box")


def test_v1_draws_follow_the_tasks_list():
    """The v1 draws come from `v1_tasks`: the six once each is the default (same draws), a repeated entry
    is drawn about twice as often, a list of one gives only that operator."""
    six = list(operators.TASKS)
    assert [random_operator(4, MNIST, torch.Generator().manual_seed(s), 0.5, six).spec for s in range(40)] == \
        [random_operator(4, MNIST, torch.Generator().manual_seed(s), 0.5).spec for s in range(40)]
    box_twice = six + ["inpaint_box"]
    draws = [random_operator(4, MNIST, torch.Generator().manual_seed(s), 1.0, box_twice).task for s in range(700)]
    assert 150 <= draws.count("inpaint_box") <= 250 and 60 <= draws.count("denoise") <= 140
    assert {random_operator(4, MNIST, torch.Generator().manual_seed(s), 1.0, ["sr4"]).spec for s in range(20)} == \
        {operators.make("sr4", MNIST).spec}


def test_blur_std_draws_stay_in_range_and_log_uniform_favours_mild_blurs():
    """Both draws stay inside [0.5, 3]; log-uniform puts about log 2 / log 6 = 39 % of the blurs below std 1
    (uniform: 20 %), and its median is near √1.5 = 1.22; `uniform` is the default and keeps the draws."""
    uniform = [draw_blur_std(torch.Generator().manual_seed(s)) for s in range(2000)]
    log = torch.tensor([draw_blur_std(torch.Generator().manual_seed(s), "log-uniform") for s in range(2000)])
    assert min(uniform) >= 0.5 and max(uniform) <= 3.0 and log.min() >= 0.5 and log.max() <= 3.0
    assert 0.17 <= sum(u < 1 for u in uniform) / 2000 <= 0.23 and 0.35 <= (log < 1).float().mean() <= 0.43
    assert 1.12 <= log.median() <= 1.32
    assert [random_operator(4, MNIST, torch.Generator().manual_seed(s), 0.0, operators.TASKS, "uniform").spec
            for s in range(30)] == [random_operator(4, MNIST, torch.Generator().manual_seed(s)).spec for s in range(30)]


def test_membership_of_named_operators():
    inside = ["deblur:std=2.2,sigma=0.07", "sr4:sigma=0.2", "inpaint_random:missing=0.9", "inpaint_box:size=10",
              "denoise:sigma=0.01", "deblur"]
    outside = ["deblur:std=3.5", "denoise:sigma=0.5", "inpaint_random:missing=0.2", "inpaint_box:size=20",
               "deblur:std=2,size=9"]
    assert all(in_family(operators.make(s, MNIST)) for s in inside)
    assert not any(in_family(operators.make(s, MNIST)) for s in outside)


def test_operator_conditioning_names_no_task():
    x = torch.rand(3, *MNIST)
    for spec in ("denoise", "deblur:std=2"):
        op = operators.make(spec, MNIST)
        y = op.measure(x, [0, 1, 2])
        cond = condition(y, op, "operator")
        assert cond.shape == (3, condition_channels(1, "operator"), 28, 28)
        assert torch.allclose(cond[:, 3], torch.full((3, 28, 28), op.sigma))
    denoise = operators.make("denoise", MNIST)
    y = denoise.measure(x, [0, 1, 2])
    rho = 0.2 ** 2 / 0.1  # σ²/s²: shrinkage towards the prior mean 0.5
    assert torch.allclose(regularised_inverse(y, denoise), ((y + rho * 0.5) / (1 + rho)).float(), atol=1e-6)
    # the same y under two blurs gives different conditioning: the operator is visible to the network
    narrow, wide = operators.make("deblur:std=1", MNIST), operators.make("deblur:std=2.5", MNIST)
    y = narrow.measure(x, [0, 1, 2])
    assert not torch.allclose(condition(y, narrow, "operator"), condition(y, wide, "operator"))


def test_a_family_restorer_trains_and_says_what_it_was_trained_on(tmp_path, data_root):
    from invdrift import train
    from invdrift.solvers import registry
    from invdrift.solvers.base import Context

    overrides = {"width": 8, "batch_size": 8, "steps": 2, "train_limit": 64, "warmup": 1}
    train.train("regression-family", "mnist", overrides, tmp_path / "run", tmp_path, data_root, progress=False)
    ctx = Context("mnist", data_root, tmp_path)
    for spec, inside in (("deblur:std=2.2,sigma=0.07", True), ("deblur:std=3.5", False)):
        op = operators.make(spec, MNIST)
        solver = registry.build("regression-family", ctx, op)
        y = op.measure(torch.rand(2, *MNIST), [0, 1])
        assert solver(y, op).shape == (2, *MNIST) and solver.trained_on(op) is inside


def test_family_twins_train_on_from_their_weights_with_a_v1_share(tmp_path, data_root):
    """regression-family trains on from its own weights (recorded, with the training time of both runs) with
    `v1_share`; a share outside [0, 1] is refused before any work."""
    from invdrift import train
    from invdrift.errors import InvdriftError

    overrides = {"width": 8, "batch_size": 8, "steps": 2, "train_limit": 64, "warmup": 1}
    first = train.train("regression-family", "mnist", overrides, tmp_path / "run", tmp_path / "a", data_root,
                        progress=False)
    onward = train.train("regression-family", "mnist", dict(overrides, v1_share=0.5, init=str(first)),
                         tmp_path / "run2", tmp_path / "b", data_root, progress=False)
    record = json.loads(onward.with_suffix(".json").read_text())
    assert record["v1_share"] == 0.5 and record["init_weights"].startswith("regression-family-mnist.safetensors@")
    first_record = json.loads(first.with_suffix(".json").read_text())  # a cold start: its lineage is its run
    assert first_record["lineage_seconds"] == first_record["train_seconds"]
    assert record["lineage_seconds"] == pytest.approx(first_record["train_seconds"] + record["train_seconds"], abs=0.11)
    for kind in ("regression-family", "drift-cond-family"):
        with pytest.raises(InvdriftError, match="v1_share 1.5: must be in"):
            train.resolve_config(kind, "mnist", {"v1_share": 1.5})
        with pytest.raises(InvdriftError, match="blur_std_draw 'normal': use one of uniform, log-uniform"):
            train.resolve_config(kind, "mnist", {"blur_std_draw": "normal"})
        assert train.resolve_config(kind, "mnist", {})["blur_std_draw"] == "uniform"


def test_log_mse_batch_loss_weighs_each_batch_by_the_inverse_of_its_error(tmp_path, data_root):
    """`batch_loss=log-mse`: the gradient is the MSE's divided by the MSE (a batch with a hundredth of the
    error weighs as much); it trains and is recorded; an unknown kind is refused before any work."""
    from invdrift import train
    from invdrift.errors import InvdriftError
    from invdrift.recipes.restorer import batch_loss

    for scale in (1e-4, 1e-2):
        x = torch.full((3,), scale, requires_grad=True)
        mse = x.pow(2).mean()
        (grad_log,) = torch.autograd.grad(batch_loss(mse, "log-mse"), x)
        (grad_mse,) = torch.autograd.grad(batch_loss(x.pow(2).mean(), "mse"), x)
        assert torch.allclose(grad_log, grad_mse / mse.detach())
    overrides = {"width": 8, "batch_size": 8, "steps": 2, "train_limit": 64, "warmup": 1, "batch_loss": "log-mse"}
    weights = train.train("regression-family", "mnist", overrides, tmp_path / "run", tmp_path, data_root, progress=False)
    assert json.loads(weights.with_suffix(".json").read_text())["batch_loss"] == "log-mse"
    with pytest.raises(InvdriftError, match="batch_loss 'l1': use one of mse, log-mse"):
        train.resolve_config("regression", "mnist", {"batch_loss": "l1"})


def test_the_noise_level_embedding_starts_as_the_same_function_and_then_reads_the_noise_map():
    """`sigma_embedding`: its per-block biases start at zero (the plain restorer's output, so shipped weights
    train on unchanged); once they are not zero the output depends on the noise level the map holds; the
    embedded step grows with σ and is floored; the task conditioning (no noise map) is refused."""
    from invdrift.nets.restorer import Restorer, noise_level_steps

    torch.manual_seed(0)
    plain = Restorer(1, 8, stochastic=False, conditioning="operator")
    embedded = Restorer(1, 8, stochastic=False, conditioning="operator", sigma_embedding=True)
    embedded.load_state_dict(plain.state_dict() | {k: v for k, v in embedded.state_dict().items()
                                                    if k not in plain.state_dict()})
    y = torch.rand(2, *MNIST)
    op = operators.make("denoise:sigma=0.1", MNIST)
    cond = condition(y, op, "operator")
    noise = torch.zeros_like(y)
    with torch.no_grad():
        assert torch.equal(embedded(noise, cond), plain(noise, cond))
        torch.nn.init.normal_(embedded.net.mid.emb.weight)
        other = cond.clone()
        other[:, -1] = 0.2  # only the noise-level map moves
        moved = embedded(noise, other) - embedded(noise, cond)
        plain_moved = plain(noise, other) - plain(noise, cond)
    assert not torch.allclose(moved, plain_moved, atol=1e-4)
    steps = noise_level_steps(torch.tensor([0.0, 1e-3, 0.005, 0.1, 0.3]))
    assert steps[0] == steps[1] == 0 and bool((steps[1:].diff() > 0).all())
    with pytest.raises(ValueError, match="needs the operator conditioning"):
        Restorer(1, 8, conditioning="task", sigma_embedding=True)


def test_family_weights_without_the_embedding_start_a_run_with_it(tmp_path, data_root):
    """`--set sigma_embedding=true --set init=W` (W without it) trains on from W and records the setting; the
    reverse (embedded weights into a run without it) is refused as weights that do not fit; a value that is
    not a boolean, or the setting on a task-conditioned restorer, is refused before any work."""
    from invdrift import train
    from invdrift.errors import InvdriftError

    overrides = {"width": 8, "batch_size": 8, "steps": 1, "train_limit": 64, "warmup": 1}
    plain = train.train("regression-family", "mnist", overrides, tmp_path / "run", tmp_path / "a", data_root,
                        progress=False)
    embedded = train.train("regression-family", "mnist", dict(overrides, sigma_embedding=True, init=str(plain)),
                           tmp_path / "run2", tmp_path / "b", data_root, progress=False)
    assert json.loads(embedded.with_suffix(".json").read_text())["sigma_embedding"] is True
    with pytest.raises(InvdriftError, match="does not fit this architecture: unexpected"):
        train.train("drift-cond-family", "mnist", dict(overrides, samples_per_y=2, init=str(embedded)),
                    tmp_path / "run3", tmp_path / "c", data_root, progress=False)
    with pytest.raises(InvdriftError, match="sigma_embedding 'yes': use true or false"):
        train.resolve_config("regression-family", "mnist", {"sigma_embedding": "yes"})
    with pytest.raises(InvdriftError, match="true needs the operator conditioning"):
        train.resolve_config("regression-family", "mnist", {"sigma_embedding": True, "conditioning": "task"})


def test_the_output_gain_scales_the_residual_and_starts_at_one():
    """`output_gain`: weights without it, given a zero log-gain channel (`with_output_gain`), compute the same
    function; a log-gain a multiplies the residual on A†y by exp(a); weights that already have it are refused."""
    from invdrift.nets.restorer import Restorer, with_output_gain

    torch.manual_seed(0)
    plain = Restorer(1, 8, conditioning="operator")
    gained = Restorer(1, 8, conditioning="operator", output_gain=True)
    gained.load_state_dict(with_output_gain(plain.state_dict(), 1))
    op = operators.make("deblur:std=2.2,sigma=0.07", MNIST)
    cond = condition(torch.rand(2, *MNIST), op, "operator")
    noise = torch.randn(2, *MNIST)
    with torch.no_grad():
        assert torch.equal(gained(noise, cond), plain(noise, cond))
        gained.net.out[-1].bias[1] = math.log(0.25)  # a = log 1/4 everywhere
        assert torch.allclose(gained(noise, cond) - cond[:, :1], 0.25 * (plain(noise, cond) - cond[:, :1]),
                              atol=1e-6)
    with pytest.raises(ValueError, match="the last convolution has 2 outputs"):
        with_output_gain(gained.state_dict(), 1)


def test_family_weights_without_the_output_gain_start_a_run_with_it(tmp_path, data_root):
    """`--set output_gain=true --set init=W` (W without it) trains on from W, for both twins, and records the
    setting; a value that is not a boolean is refused before any work; widening in the same run is refused."""
    from invdrift import train
    from invdrift.errors import InvdriftError

    overrides = {"width": 8, "batch_size": 8, "steps": 1, "train_limit": 64, "warmup": 1}
    plain = train.train("regression-family", "mnist", overrides, tmp_path / "run", tmp_path / "a", data_root,
                        progress=False)
    for kind, extra in (("regression-family", {}), ("drift-cond-family", {"samples_per_y": 2})):
        gained = train.train(kind, "mnist", overrides | extra | {"output_gain": True, "init": str(plain)},
                             tmp_path / f"run-{kind}", tmp_path / kind, data_root, progress=False)
        assert json.loads(gained.with_suffix(".json").read_text())["output_gain"] is True
    with pytest.raises(InvdriftError, match="output_gain 1: use true or false"):
        train.resolve_config("drift-cond-family", "mnist", {"output_gain": 1})
    narrow = dict(overrides, width=32, batch_size=2, train_limit=16)
    width32 = train.train("regression-family", "mnist", narrow, tmp_path / "run32", tmp_path / "w32", data_root,
                          progress=False)
    for added in ({"output_gain": True}, {"sigma_embedding": True}):  # one change per run
        with pytest.raises(InvdriftError, match=f"widening and adding {next(iter(added))} in one run"):
            train.train("regression-family", "mnist", narrow | added | {"width": 64, "init": str(width32)},
                        tmp_path / "run64", tmp_path / "w64", data_root, progress=False)
