"""One training loop for every model kind: AdamW, warm-up, grad clip, EMA, exact resume, torchrun.

Every random draw of step s comes from a generator seeded by (seed, step, rank), so a run killed and
resumed from its last checkpoint (model, EMA, optimiser, step) ends bit-identical to an uninterrupted
run. Under `torchrun` the same code runs DistributedDataParallel (gloo on CPU, nccl on GPU); each
rank draws its share of the global batch and only rank 0 writes files.
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as torch_dist
from tqdm import tqdm

from . import checkpoint
from .errors import InvdriftError
from .fileio import write_text_atomic
from .lineage import lineage_seconds_of
from .precision import warn_if_emulated
from .recipes import RECIPES

ARCH_KEYS_IGNORED_ON_RESUME = ("steps", "ckpt_every", "log_every")
# `bf16`: run the forward pass and loss under torch.autocast("cpu", dtype=torch.bfloat16) (weights stay float32)
# `lr_decay`: "none" (constant after warm-up) or "linear" (from `lr` after warm-up down to 0 at `steps`)
# `ema_warmup`: true ramps the EMA's decay up from 0.1 (for a cold start); false uses `ema` from step 0,
# so the EMA starts from the initial weights (for a warm start from averaged weights)
COMMON_DEFAULTS = {"bf16": False, "lr_decay": "none", "ema_warmup": True}
# settings some kinds gained after runs were started: a saved run without one had its default
LATER_DEFAULTS = {"mid": "res", "noise_downsample": 1, "marginal_weight": 0.0, "energy_weight": 0.0,
                  "crps_weight": 0.0}
LR_DECAYS = ("none", "linear")


@dataclass(frozen=True)
class Dist:
    """Process-group facts: rank, world size, and whether this process writes files."""

    rank: int = 0
    world: int = 1
    owns_group: bool = False  # this process joined the group and leaves it at the end

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed() -> Dist:
    """Join the torchrun process group if launched by torchrun, else run alone."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    owns = not torch_dist.is_initialized()
    if owns:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch_dist.init_process_group(backend=backend)
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", world))))
    return Dist(torch_dist.get_rank(), torch_dist.get_world_size(), owns)


def leave_distributed(dist: Dist) -> None:
    """Every rank waits for the others, then shuts its process group down before the process exits.

    Exiting with the group alive leaves gloo's worker threads running while the interpreter tears
    down, which can abort a rank ("terminate called without an active exception").
    """
    if dist.world <= 1 or not torch_dist.is_initialized():
        return
    torch_dist.barrier()
    if dist.owns_group:
        torch_dist.destroy_process_group()


def step_generator(seed: int, step: int, rank: int = 0) -> torch.Generator:
    """The generator for every random draw of one step on one rank."""
    return torch.Generator().manual_seed((seed * 1_000_003 + step) * 1024 + rank)


def learning_rate(config: dict, step: int) -> float:
    """Linear warm-up to `lr`, then constant, or with `lr_decay: linear` falling linearly to 0 at `steps`."""
    warmup = max(1, int(config.get("warmup", 0)))
    rate = config["lr"] * min(1.0, (step + 1) / warmup)
    if config.get("lr_decay", "none") == "linear":
        rate *= min(1.0, (config["steps"] - step) / max(1, config["steps"] - warmup))
    return rate


def ema_decay(config: dict, step: int) -> float:
    """The EMA's decay at `step`: `ema`, ramped as (1 + step)/(10 + step) while below it if `ema_warmup`."""
    if config.get("ema_warmup", True):
        return min(config["ema"], (1 + step) / (10 + step))
    return config["ema"]


@torch.no_grad()
def update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema ← decay·ema + (1 − decay)·model for trained floating tensors; frozen parameters and other
    buffers copied exactly."""
    ema_state = ema.state_dict()
    frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
    for key, value in model.state_dict().items():
        if value.dtype.is_floating_point and key not in frozen:
            ema_state[key].mul_(decay).add_(value.detach(), alpha=1 - decay)
        else:
            ema_state[key].copy_(value)


def _optimizer_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list]:
    state = opt.state_dict()
    tensors = {f"opt.{idx}.{name}": value for idx, slot in state["state"].items()
               for name, value in slot.items() if isinstance(value, torch.Tensor)}
    return tensors, state["param_groups"]


def _restore_optimizer(opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], groups: list) -> None:
    slots: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("opt."):
            _, idx, name = key.split(".", 2)
            slots.setdefault(int(idx), {})[name] = value
    opt.load_state_dict({"state": slots, "param_groups": groups})


def save_state(run_dir: Path, model, ema, opt, step: int, config: dict, elapsed: float) -> None:
    """Write the full training state atomically (tensors first, then the JSON that names the step)."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors |= {f"ema.{k}": v for k, v in ema.state_dict().items()}
    opt_tensors, groups = _optimizer_tensors(opt)
    tensors |= opt_tensors
    tensors["rng.torch"] = torch.get_rng_state()
    checkpoint.save_tensors(run_dir / "state.safetensors", tensors)
    meta = {"step": step, "config": config, "param_groups": groups, "elapsed_s": elapsed}
    write_text_atomic(run_dir / "state.json", json.dumps(meta, indent=1))


def load_state(run_dir: Path, model, ema, opt, config: dict) -> tuple[int, float]:
    """Restore a run; refuses a state whose kind, dataset or architecture differs from `config`."""
    meta_path = run_dir / "state.json"
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError as exc:
        raise InvdriftError(f"{meta_path} is not valid JSON ({exc})") from None
    ignored = ARCH_KEYS_IGNORED_ON_RESUME
    if config.get("lr_decay", "none") != "none":
        ignored = tuple(k for k in ignored if k != "steps")  # the schedule depends on the run's length
    later = {k: v for k, v in LATER_DEFAULTS.items() if k in config}
    saved = {k: v for k, v in (COMMON_DEFAULTS | later | meta["config"]).items() if k not in ignored}
    now = {k: v for k, v in config.items() if k not in ignored}
    if saved != now:
        diff = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
        raise InvdriftError(f"{run_dir} holds a run with a different configuration ({', '.join(diff)}); "
                            "use another --run-dir or --fresh")
    tensors = checkpoint.load_tensors(run_dir / "state.safetensors")
    state_path = run_dir / "state.safetensors"
    checkpoint.load_into(model, {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}, state_path)
    checkpoint.load_into(ema, {k[4:]: v for k, v in tensors.items() if k.startswith("ema.")}, state_path)
    _restore_optimizer(opt, tensors, meta["param_groups"])
    torch.set_rng_state(tensors["rng.torch"])
    return int(meta["step"]), float(meta.get("elapsed_s", 0.0))


def _rewrite_log(path: Path, keep_before: int) -> None:
    if not path.is_file():
        return
    lines = [ln for ln in path.read_text().splitlines() if ln and json.loads(ln)["step"] < keep_before]
    write_text_atomic(path, "".join(ln + "\n" for ln in lines))


def _ranks_agree(model: torch.nn.Module) -> bool:
    """True if every rank holds bit-identical weights (compared through a gathered fingerprint)."""
    flat = torch.cat([p.detach().flatten().double() for p in model.parameters()])
    weights = torch.arange(1, len(flat) + 1, dtype=torch.float64).sin()
    fingerprint = torch.stack([flat.sum(), (flat * weights).sum()])
    gathered = [torch.zeros_like(fingerprint) for _ in range(torch_dist.get_world_size())]
    torch_dist.all_gather(gathered, fingerprint)
    agree = all(torch.equal(g, gathered[0]) for g in gathered)
    if not agree:
        raise InvdriftError(f"ranks disagree on the weights: {[g.tolist() for g in gathered]}")
    return agree


def valid_temperatures(value) -> bool:
    """A non-empty list of positive finite numbers (the drift kernel's temperatures)."""
    return (isinstance(value, list) and len(value) > 0
            and all(isinstance(t, (int, float)) and not isinstance(t, bool) and 0 < t < float("inf") for t in value))


def setting_type_error(default: object, value: object) -> str | None:
    """Why `value` cannot stand where the recipe's default is `default` (None if it can): a setting keeps
    its default's type; a whole number also stands for a real one, and real numbers must be finite."""
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "use true or false"
    if isinstance(default, int):
        return None if isinstance(value, int) and not isinstance(value, bool) else "must be a whole number"
    if isinstance(default, float):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if number and math.isfinite(value) else "must be a finite number"
    if isinstance(default, str):
        return None if isinstance(value, str) else "must be a text"
    if isinstance(default, list):
        return None if isinstance(value, list) else "must be a list in square brackets"
    return None


def resolve_config(kind: str, dataset: str, overrides: dict) -> dict:
    """Recipe defaults for the dataset, updated with `overrides`, checked for unknown keys."""
    if kind not in RECIPES:
        raise InvdriftError(f"unknown model kind {kind!r}: use one of {', '.join(RECIPES)}")
    config = COMMON_DEFAULTS | RECIPES[kind].defaults(dataset)
    unknown = sorted(set(overrides) - set(config))
    if unknown:
        raise InvdriftError(f"unknown setting(s) for {kind}: {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(config))})")
    for key, value in overrides.items():
        problem = setting_type_error(config[key], value)
        if problem:
            raise InvdriftError(f"{key} {value!r}: {problem}")
    config.update(overrides)
    config.update(kind=kind, dataset=dataset)
    for key in ("steps", "batch_size"):
        if key in config and config[key] < 1:
            raise InvdriftError(f"{key} {config[key]}: must be at least 1")
    if config["lr_decay"] not in LR_DECAYS:
        raise InvdriftError(f"lr_decay {config['lr_decay']!r}: use one of {', '.join(LR_DECAYS)}")
    if "temperatures" in config and not valid_temperatures(config["temperatures"]):
        raise InvdriftError(f"temperatures {config['temperatures']!r}: use a list of positive numbers, "
                            "e.g. [0.02,0.05,0.2]")
    RECIPES[kind].configure(config)
    return config


def fit_classical(dataset: str, out_dir, data_root, command: str, overrides: dict) -> Path:
    """Fit the classical baselines' train-split statistics and export them like a model."""
    from .solvers.base import Context
    from .solvers.classical import fit

    if overrides:
        raise InvdriftError(f"classical takes no settings (got {', '.join(overrides)})")
    started = time.perf_counter()
    tensors, alphas = fit(Context(dataset, data_root))
    record = {"kind": "classical", "dataset": dataset, "alphas": alphas, "command": command,
              "train_seconds": round(time.perf_counter() - started, 1),
              "data": f"{dataset} train split: first 10000 images (spectrum), first 64 (Tikhonov α on a grid)"}
    path = checkpoint.export_model(Path(out_dir) / f"classical-{Path(dataset).name}", tensors, record)
    print(f"wrote {path} (Tikhonov α per task: {alphas})", flush=True)
    return path


def train(kind: str, dataset: str, overrides: dict | None = None, run_dir: str | Path | None = None,
          out_dir: str | Path = "checkpoints", data_root=None, fresh: bool = False, command: str = "",
          progress: bool = True) -> Path | None:
    """Train (or resume) a model; export EMA weights to out_dir/KIND-DATASET.safetensors at the end."""
    if kind == "classical":
        return fit_classical(dataset, out_dir, data_root, command, overrides or {})
    config = resolve_config(kind, dataset, overrides or {})
    recipe = RECIPES[kind]
    dist = init_distributed()
    run_dir = Path(run_dir or Path("runs") / f"{kind}-{Path(dataset).name}")
    torch.manual_seed(config["seed"])
    model = recipe.build(config)
    recipe.initialise(model, config)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=config["lr"], betas=tuple(config.get("betas", (0.9, 0.999))),
                            weight_decay=config.get("weight_decay", 0.0))
    step, elapsed = 0, 0.0
    if (run_dir / "state.json").is_file() and not fresh:
        step, elapsed = load_state(run_dir, model, ema, opt, config)
        if dist.main and progress:
            print(f"resuming {run_dir} at step {step}", flush=True)
    if dist.main:
        warn_if_emulated(bool(config.get("bf16", False)))
        run_dir.mkdir(parents=True, exist_ok=True)
        _rewrite_log(run_dir / "log.jsonl", step)
    env = recipe.setup(config, data_root, dist)
    net = model
    if dist.world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model)
    total = int(config["steps"])
    bar = tqdm(total=total, initial=step, desc=f"train {kind} {Path(dataset).name}",
               disable=not (progress and dist.main))
    started = time.perf_counter()
    model.train()
    while step < total:
        for group in opt.param_groups:
            group["lr"] = learning_rate(config, step)
        generator = step_generator(config["seed"], step, dist.rank)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(config.get("bf16", False))):
            loss, logs = recipe.loss(net, env, step, generator, dist)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.get("clip", 1e9))
        opt.step()
        update_ema(ema, model, ema_decay(config, step))
        step += 1
        bar.update(1)
        if dist.main and (step % config["log_every"] == 0 or step == total):
            record = {"step": step, "loss": loss.item(), "grad_norm": grad_norm.item(),
                      "lr": learning_rate(config, step - 1)} | logs
            with open(run_dir / "log.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
            bar.set_postfix(loss=f"{loss.item():.4f}")
        if dist.main and (step % config["ckpt_every"] == 0 or step == total):
            save_state(run_dir, model, ema, opt, step, config, elapsed + time.perf_counter() - started)
    bar.close()
    elapsed += time.perf_counter() - started
    ranks_agree = None
    if dist.world > 1:
        ranks_agree = _ranks_agree(model)
        del net  # the DDP wrapper holds the process group; release it before the group goes
        leave_distributed(dist)
    if not dist.main:
        return None
    ema.eval()
    results = recipe.evaluate(ema, env, config)
    if ranks_agree is not None:
        results["ranks_agree"] = ranks_agree
    record = dict(config, command=command, train_seconds=round(elapsed, 1), steps_done=step,
                  world_size=dist.world, results=results, data=recipe.data_description(config, data_root))
    lineage = lineage_seconds_of(config, elapsed)
    if lineage is not None:
        record["lineage_seconds"] = lineage
    path = checkpoint.export_model(Path(out_dir) / f"{kind}-{Path(dataset).name}", ema.state_dict(), record)
    if progress:
        print(f"wrote {path} ({results})", flush=True)
    return path
