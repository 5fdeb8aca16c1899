"""Recipes for the conditional restorers: `drift-cond` (a one-step posterior sampler trained with a
drifting or energy-score loss) and `regression` (the same network trained with MSE on the same pairs)."""

from __future__ import annotations

import torch

from .. import data, operators
from ..conditioning import condition
from ..errors import InvdriftError
from ..nets.restorer import input_noise
from ..operator_family import BLUR_STD_DRAWS, draw_entry, random_operator
from ..priors.drifting import drift_loss
from ..priors.inward_clamp import inward_clamp
from ..priors.posterior_losses import (energy_score_loss, grouped_drift_loss, marginal_drift_loss, mean_error,
                                       pixel_crps_loss)
from .base import Recipe, local_batch, sample_batch
from .drift import FeatureRecipe


def training_pairs(env: dict, batch: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, operators.Operator]:
    """A batch of clean train images, one operator drawn for the batch (one of `tasks`, or with
    `operators: family` one of the operator family, its v1 draws from `tasks`), and the conditioning channels."""
    config = env["config"]
    x, _ = sample_batch(env, batch, generator)
    if config.get("operators", "v1") == "family":
        op = random_operator(len(x), tuple(x.shape[1:]), generator, config.get("v1_share", 0.0), config["tasks"],
                             config.get("blur_std_draw", "uniform"))
    else:
        op = operators.make(draw_entry(config["tasks"], generator), x.shape[1:])
    y, bound = op.sample_measurement(x, generator)
    return x, condition(y, bound, config.get("conditioning", "task")), bound


def _restorer_defaults(dataset: str) -> dict:
    c, h, _ = data.SHAPES.get(dataset, (3, 32, 32))
    return {"seed": 0, "steps": 1500, "batch_size": 128, "lr": 5e-4, "warmup": 100, "clip": 2.0, "ema": 0.999,
            "betas": [0.9, 0.95], "weight_decay": 0.0, "ckpt_every": 100, "log_every": 20, "train_limit": 0,
            "channels": c, "size": h, "width": 32, "mid": "res", "tasks": list(operators.TASKS), "init": ""}


def start_from_weights(model, config: dict, kinds: tuple[str, ...]) -> None:
    """With `init` (a weights file of one of `kinds`): start from those weights, fresh optimiser;
    the config records their label and, if their record holds it, their training time with all runs behind.
    Weights of the plain U-Net (`mid: res`) also start a `mid: attention` run, whose added layers start as
    the identity (the same function), and a plain run of twice their width (`nets.widen`: the same
    function, each channel duplicated, the copies of each input weight perturbed apart). Weights without
    the noise-level embedding start a run with it (`sigma_embedding`: its biases start at zero, the same
    function), and so do weights without the output gain a run with it (`output_gain`: gain 1 at the start)."""
    if not config.get("init"):
        return
    from ..checkpoint import checkpoint_label, load_into, load_model_weights
    from ..nets.restorer import added_by_sigma_embedding, with_output_gain
    from ..nets.unet import GROWN_BY_ATTENTION

    state, source = load_model_weights(config["init"], kinds, config["dataset"])
    source_mid, mid = source.get("mid", "res"), config["mid"]
    added = [key for key in ("sigma_embedding", "output_gain") if config.get(key, False) and not source.get(key, False)]
    if 2 * source.get("width", 0) == config["width"]:
        if added:
            raise InvdriftError(f"init {config['init']}: widening and adding {' and '.join(added)} in one run; "
                                "widen first, then add it in a run of its own")
        state = _widened(state, source, model, config)
    elif source.get("width") != config["width"]:
        raise InvdriftError(f"init {config['init']}: width {source.get('width')}, this run {config['width']} "
                            "(the same width or twice it)")
    if source_mid != mid and (source_mid, mid) != ("res", "attention"):
        raise InvdriftError(f"init {config['init']}: mid {source_mid!r}, this run {mid!r} (only res → attention grows)")
    if source_mid != mid:  # the added layers keep their identity initialisation
        grown = tuple("net." + prefix for prefix in GROWN_BY_ATTENTION)
        state = state | {k: v for k, v in model.state_dict().items() if k.startswith(grown)}
    if "output_gain" in added:
        try:
            state = with_output_gain(state, config["channels"])
        except ValueError as err:
            raise InvdriftError(f"init {config['init']}: {err}") from None
    if "sigma_embedding" in added:
        state = state | {k: v for k, v in model.state_dict().items() if added_by_sigma_embedding(k)}
    load_into(model, state, config["init"])
    config["init_weights"] = checkpoint_label(config["init"])
    if source.get("lineage_seconds") is not None:
        config["init_lineage_seconds"] = source["lineage_seconds"]


def _widened(state: dict, source: dict, model, config: dict) -> dict:
    """`state` of a plain U-Net of half the run's width in the run's shapes (`nets.widen`, seeded by the
    run's seed); the config records the width it came from."""
    from ..nets.widen import groups_kept, widen_state

    if source.get("mid", "res") != "res" or config["mid"] != "res" or not groups_kept(source["width"]):
        raise InvdriftError(f"init {config['init']}: only a plain U-Net (mid res) of width ≥ 32 can be widened, "
                            f"this one has mid {source.get('mid', 'res')!r} and width {source['width']}")
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    try:
        state = widen_state(state, shapes, generator=torch.Generator().manual_seed(config["seed"]))
    except ValueError as err:
        raise InvdriftError(f"init {config['init']}: {err}") from None
    config["init_width"] = source["width"]
    return state


LOSSES = ("joint", "drift-group", "energy")
MEAN_ERROR_SCALES = ("absolute", "relative")
# the family-trained twins' settings
FAMILY = {"operators": "family", "conditioning": "operator", "v1_share": 0.0, "blur_std_draw": "uniform",
          "sigma_embedding": False, "output_gain": False}


def check_restorer_settings(config: dict) -> None:
    """`mid` names a U-Net middle; `tasks` is a non-empty list of operators (a task may repeat: each
    batch draws one entry uniformly); `v1_share` (family-trained twins only) is a probability,
    `blur_std_draw` one of BLUR_STD_DRAWS, and `sigma_embedding` needs the operator conditioning (the types
    of every setting are checked by `train.resolve_config`)."""
    from ..nets.unet import MIDS

    if config["mid"] not in MIDS:
        raise InvdriftError(f"mid {config['mid']!r}: use one of {', '.join(MIDS)}")
    tasks = config["tasks"]
    if not (isinstance(tasks, list) and tasks and all(isinstance(t, str) for t in tasks)):
        raise InvdriftError(f"tasks {tasks!r}: use a list of operators, e.g. [\"denoise\",\"sr4\"]")
    for task in tasks:
        operators.make(task, (config["channels"], config["size"], config["size"]))
    if not 0.0 <= config.get("v1_share", 0.0) <= 1.0:
        raise InvdriftError(f"v1_share {config['v1_share']}: must be in [0, 1]")
    if config.get("blur_std_draw", "uniform") not in BLUR_STD_DRAWS:
        raise InvdriftError(f"blur_std_draw {config['blur_std_draw']!r}: use one of {', '.join(BLUR_STD_DRAWS)}")
    if config.get("sigma_embedding", False) and config.get("conditioning", "task") != "operator":
        raise InvdriftError("sigma_embedding true needs the operator conditioning of the family-trained restorers")


class DriftCondRecipe(FeatureRecipe):
    """`loss`: `joint` (one kernel over the batch on joint (x, A†y) features), `drift-group` (the drift
    field inside each measurement's group of `samples_per_y` samples, positive = its clean image) or
    `energy` (the energy score per group, distances to the power `energy_beta` in (0, 2)). `batch_size`
    counts measurements; each gets `samples_per_y`. `noise_downsample` r draws the input noise at 1/r of the
    image's resolution. `mean_weight` (grouped losses) adds that multiple of the unbiased pixel error of
    each group's mean (`mean_error`: trains the samples' mean, not their spread);
    `marginal_weight` (grouped losses) that multiple of the drift of all the batch's samples towards all its
    clean images (`marginal_drift_loss`: the restorations' marginal towards the data's), and
    `marginal_positives` more clean train images drawn each step as that term's positives beside them.
    `energy_weight` (grouped drift only) adds that multiple of the energy score per group on the same
    features (`energy_score_loss`, distances to the power `energy_beta`): a strictly proper scoring rule,
    whose minimiser is the posterior itself, beside a drift whose estimate from one clean image per group
    need not vanish there. `crps_weight` (grouped losses) adds that multiple of every pixel's CRPS in its
    group (`pixel_crps_loss`: each pixel's marginal, the quantity range coverage judges, towards calibration).
    `clip_samples` computes the drift (or energy) features of the samples clipped to [0, 1], as they are
    evaluated (`inward_clamp`); the mean's error stays on the unclipped samples. `mean_error_scale: relative`
    divides the mean's error by the batch's one-sample MSE (a constant for the gradient), so that a batch of a
    nearly noiseless operator weighs in it as much as the rest (as `batch_loss: log-mse` does for the
    regression); `mean_weight` is then a multiple of that ratio (about 0.6 for calibrated samples)."""

    kind = "drift-cond"
    twin = "regression"  # the kind whose weights `init` may start from

    def defaults(self, dataset: str) -> dict:
        return _restorer_defaults(dataset) | {
            "samples_per_y": 2, "beta": 1.0, "fidelity": 0.0, "loss": "joint", "energy_beta": 1.0,
            "mean_weight": 0.0, "marginal_weight": 0.0, "energy_weight": 0.0, "crps_weight": 0.0,
            "marginal_positives": 0, "noise_downsample": 1,
            "clip_samples": False, "mean_error_scale": "absolute",
            "features": "classifier" if dataset == "cifar10" else "pixels",
            "temperatures": [0.02, 0.05, 0.2]}

    def configure(self, config: dict) -> None:
        if config.get("loss", "joint") not in LOSSES:
            raise InvdriftError(f"unknown loss {config['loss']!r}: use one of {', '.join(LOSSES)}")
        if config.get("loss") in ("drift-group", "energy") and config["samples_per_y"] < 2:
            raise InvdriftError(f"loss {config['loss']} needs samples_per_y ≥ 2")
        if not 0 < config.get("energy_beta", 1.0) < 2:
            raise InvdriftError(f"energy_beta {config['energy_beta']}: must be in (0, 2) (a proper scoring rule)")
        for term in ("mean_weight", "marginal_weight", "crps_weight"):  # terms added to a grouped loss
            weight = config.get(term, 0.0)
            if weight < 0 or (weight > 0 and config.get("loss", "joint") == "joint"):
                raise InvdriftError(f"{term} {weight}: must be ≥ 0, and needs a grouped loss")
        energy_weight = config.get("energy_weight", 0.0)
        if energy_weight < 0 or (energy_weight > 0 and config.get("loss", "joint") != "drift-group"):
            raise InvdriftError(f"energy_weight {energy_weight}: must be ≥ 0, and needs loss drift-group")
        extra = config.get("marginal_positives", 0)
        if extra < 0 or (extra > 0 and not config.get("marginal_weight", 0.0) > 0):
            raise InvdriftError(f"marginal_positives {extra}: must be a whole number ≥ 0, and needs marginal_weight > 0")
        check_restorer_settings(config)
        if config.get("mean_error_scale", "absolute") not in MEAN_ERROR_SCALES:
            raise InvdriftError(f"mean_error_scale {config['mean_error_scale']!r}: use one of "
                                f"{', '.join(MEAN_ERROR_SCALES)}")
        r = config.get("noise_downsample", 1)
        if r < 1 or config["size"] % r:
            raise InvdriftError(f"noise_downsample {r}: must be a whole number ≥ 1 dividing the image size {config['size']}")

    def initialise(self, model, config: dict) -> None:
        """With `init` (a weights file of the regression twin, or of this kind to train a shipped model on
        with a fresh optimiser; same width, or half of it to widen): start from those weights."""
        start_from_weights(model, config, (self.twin, self.kind))

    def loss(self, model, env, step, generator, dist):
        config = env["config"]
        x, cond, op = training_pairs(env, local_batch(config, dist), generator)
        k, kind = config["samples_per_y"], config.get("loss", "joint")
        grouped = kind != "joint"
        # grouped losses keep a measurement's samples consecutive; the joint loss stacks k copies of the batch
        cond_k = cond.repeat_interleave(k, 0) if grouped else cond.repeat(k, 1, 1, 1)
        c, h, w = x.shape[1:]
        noise = input_noise(len(cond_k), c, h, w, config.get("noise_downsample", 1), generator)
        x_gen = model(noise, cond_k)
        first = x_gen[::k] if grouped else x_gen[: len(x)]
        features = env["features"]
        with torch.autocast("cpu", enabled=False):
            judged = inward_clamp(x_gen.float()) if config.get("clip_samples", False) else x_gen.float()
            gen_feats = [f.float() for f in features(judged)]
            with torch.no_grad():
                clean_feats = [f.float() for f in features(x)]
            if kind == "drift-group":
                loss, info = grouped_drift_loss(gen_feats, clean_feats, k, tuple(config["temperatures"]))
                if config.get("energy_weight", 0.0) > 0:
                    score, _ = energy_score_loss(gen_feats, clean_feats, k, config["energy_beta"])
                    info["drift"], info["energy"] = loss.item(), score.item()
                    loss = loss + config["energy_weight"] * score
            elif kind == "energy":
                loss, info = energy_score_loss(gen_feats, clean_feats, k, config["energy_beta"])
            else:
                loss, info = joint_drift_loss(gen_feats, clean_feats, features(cond[:, :config["channels"]]),
                                              k, config["beta"], tuple(config["temperatures"]))
            if config.get("marginal_weight", 0.0) > 0:
                data_feats = clean_feats
                if config.get("marginal_positives", 0) > 0:
                    more, _ = sample_batch(env, config["marginal_positives"], generator)
                    with torch.no_grad():
                        data_feats = [torch.cat([f, m.float()], 1) for f, m in zip(clean_feats, features(more))]
                marginal, _ = marginal_drift_loss(gen_feats, data_feats, tuple(config["temperatures"]))
                info["marginal"], info["conditional"] = marginal.item(), loss.item()
                loss = loss + config["marginal_weight"] * marginal
            if config.get("crps_weight", 0.0) > 0:
                crps, _ = pixel_crps_loss(judged, x, k)
                info["crps"] = crps.item()
                loss = loss + config["crps_weight"] * crps
        logged = ("marginal", "conditional", "drift", "energy", "crps")
        logs = {k_: round(v, 5) for k_, v in info.items() if k_.startswith("f0_") or k_ in logged}
        with torch.no_grad():
            logs["mse"] = (first.float() - x).pow(2).mean().item()
        if config.get("mean_weight", 0.0) > 0:
            with torch.autocast("cpu", enabled=False):
                groups = x_gen.float().flatten(1).reshape(len(x), k, -1)
                error = mean_error(groups, x.flatten(1)[:, None]).mean()
            scale = logs["mse"] if config.get("mean_error_scale", "absolute") == "relative" else 1.0
            loss = loss + config["mean_weight"] * error / scale
            logs["mean_error"] = round(error.item(), 6)
        if config["fidelity"] > 0:
            residual = (op.A(first) - op.A(x)).flatten(1).pow(2).mean(1) / (2 * op.sigma ** 2)
            loss = loss + config["fidelity"] * residual.mean()
        return loss, logs | {"task": op.task}


def joint_drift_loss(gen_feats: list[torch.Tensor], clean_feats: list[torch.Tensor], cond_feats: list[torch.Tensor],
                     k: int, beta: float, temperatures: tuple[float, ...]) -> tuple[torch.Tensor, dict]:
    """One kernel over the whole batch on joint (x, β·A†y) features; k stacked copies of the batch."""
    with torch.no_grad():
        y_feats = [f.float() * beta for f in cond_feats]
        positives = [torch.cat([fx, fy], -1) for fx, fy in zip(clean_feats, y_feats)]
        y_feats_k = [f.repeat(1, k, 1) for f in y_feats]
    generated = [torch.cat([fx, fy], -1) for fx, fy in zip(gen_feats, y_feats_k)]
    return drift_loss(generated, positives, temperatures)


BATCH_LOSSES = ("mse", "log-mse")


def batch_loss(mse: torch.Tensor, kind: str = "mse") -> torch.Tensor:
    """The regression's loss from its batch's MSE: `mse` as it is, or `log-mse`, whose gradient is the MSE's
    divided by the MSE itself, so that a batch of a nearly noiseless operator (an error a hundredth of the
    others') weighs as much as the rest; the tables average PSNR, a log of the error."""
    return mse if kind == "mse" else torch.log(mse)


class RegressionRecipe(Recipe):
    """MSE regression on the restorer's pairs; the setting `batch_loss` (function `batch_loss`): `mse` or `log-mse`."""

    kind = "regression"

    def defaults(self, dataset: str) -> dict:
        return _restorer_defaults(dataset) | {"batch_loss": "mse"}

    def configure(self, config: dict) -> None:
        if config.get("batch_loss", "mse") not in BATCH_LOSSES:
            raise InvdriftError(f"batch_loss {config['batch_loss']!r}: use one of {', '.join(BATCH_LOSSES)}")
        check_restorer_settings(config)

    def initialise(self, model, config: dict) -> None:
        """With `init` (weights of this kind, same width or half of it): train them on with a fresh optimiser."""
        start_from_weights(model, config, (self.kind,))

    def loss(self, model, env, step, generator, dist):
        x, cond, op = training_pairs(env, local_batch(env["config"], dist), generator)
        x_hat = model(torch.zeros_like(x), cond)
        mse = (x_hat - x).pow(2).mean()
        return batch_loss(mse, env["config"].get("batch_loss", "mse")), {"mse": mse.item(), "task": op.task}


class DriftCondFamilyRecipe(DriftCondRecipe):
    """`drift-cond` trained on the operator family (operator_family.py), conditioned without a task code;
    `v1_share` of the draws are the six v1 operators exactly."""

    kind = "drift-cond-family"
    twin = "regression-family"

    def defaults(self, dataset: str) -> dict:
        return super().defaults(dataset) | FAMILY


class RegressionFamilyRecipe(RegressionRecipe):
    """`regression` on the operator family: the same network and budget as drift-cond-family."""

    kind = "regression-family"

    def defaults(self, dataset: str) -> dict:
        return super().defaults(dataset) | FAMILY
