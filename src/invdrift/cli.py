"""Command line: `invdrift demo | data | bench | merge | train | tune | sample | restore | report | speed`."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from .checkpoint import default_checkpoints
from .errors import InvdriftError
from .specs import split_specs


def at_least_one(text: str) -> int:
    """An argparse type: a whole number ≥ 1 (a count of images, steps or a batch)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _split(text: str, choices: tuple[str, ...]) -> list[str]:
    """A comma list of names, each with optional parameters (`deblur:std=2,sigma=0.1`); 'all' means every choice."""
    items = split_specs(text)
    return list(choices) if items == ["all"] else items


def cmd_bench(args: argparse.Namespace) -> None:
    from . import bench, data, operators
    from .solvers import registry

    if args.stale and args.again:
        raise InvdriftError("--stale and --again choose the rows to re-run in two ways: give one of them")
    if args.float32 and not (args.stale or args.again):
        raise InvdriftError("--float32 changes the precision of rows re-run by --stale or --again; "
                            "a new bench is float32 unless --bf16")
    if args.float32 and args.bf16:
        raise InvdriftError("--float32 and --bf16 ask for two precisions: give one of them")
    if args.stale or args.again:
        return _bench_again(args)
    chosen = _bench_choice(args, BENCH_DEFAULTS)
    methods = registry.resolve(chosen["methods"])
    grouped = any(spec in (*registry.GROUPS, "all") for spec in split_specs(chosen["methods"]))  # skip unshipped
    rows = bench.bench(_split(chosen["dataset"], ("mnist", "cifar10")),
                       _split(chosen["task"], operators.TASKS), methods, n=args.n,
                       offset=args.offset, seed=args.seed, out=Path(args.out), data_root=args.data_root,
                       batch_size=args.batch_size, checkpoints=Path(args.checkpoints or default_checkpoints()),
                       lpips_weights=args.lpips_weights, threads=args.threads, samples=args.samples,
                       bf16=args.bf16, skip_missing=grouped,
                       keep_outputs=_kept_outputs(args))
    print(f"{len(rows)} rows written to {Path(args.out) / 'results.md'} (also .csv, .json)")


def _kept_outputs(args: argparse.Namespace) -> Path | None:
    """The folder of --keep-outputs, or None when the restorations are not kept."""
    return Path(args.keep_outputs) if args.keep_outputs else None


BENCH_DEFAULTS = {"dataset": "mnist", "task": "all", "methods": "classical"}  # what a new bench measures


def _bench_choice(args: argparse.Namespace, defaults: dict) -> dict:
    """--dataset, --task and --methods as given, the others from `defaults` (None: not a filter)."""
    return {key: default if getattr(args, key) is None else getattr(args, key) for key, default in defaults.items()}


def _bench_again(args: argparse.Namespace) -> None:
    """Measure again rows of OUT, each with its own settings: those whose weights are not the shipped ones
    (--stale), or those chosen by --dataset, --task and --methods (--again)."""
    from . import bench, data, operators, provenance
    from .solvers import registry

    out = Path(args.out)
    checkpoints = Path(args.checkpoints or default_checkpoints())
    rows = bench.load_rows(out)
    if args.stale:  # every stale row, or those of the --dataset, --task and --methods given
        given = _bench_choice(args, dict.fromkeys(BENCH_DEFAULTS))
        rows = provenance.stale_rows(rows, checkpoints)
        scope = " chosen by --dataset, --task and --methods" if any(given.values()) else ""
        nothing = f"every row{scope} in {out} was measured with the weights in {checkpoints}"
    else:
        given = _bench_choice(args, BENCH_DEFAULTS)
        nothing = f"no row in {out} matches --dataset, --task and --methods"
    chosen = provenance.chosen_rows(
        rows, given["dataset"] and _split(given["dataset"], tuple(data.SHAPES)),
        given["task"] and _split(given["task"], operators.TASKS), given["methods"] and registry.resolve(given["methods"]))
    groups = provenance.rerun_groups(chosen, float32=args.float32, batch_size=args.batch_size)
    if not groups:
        print(f"{nothing}: nothing to re-run")
        return
    for group in groups:
        settings = ([f"n {group['n']}"] + [f"{group['samples']} samples"] * bool(group["samples"])
                    + ["bf16"] * group["bf16"])
        print(f"re-running {group['datasets'][0]} {group['methods'][0]} on {', '.join(group['tasks'])} "
              f"({', '.join(settings)})", flush=True)
        bench.bench(**group, out=out, data_root=args.data_root,
                    checkpoints=checkpoints, lpips_weights=args.lpips_weights, threads=args.threads,
                    keep_outputs=_kept_outputs(args))
    print(f"{len(groups)} groups of rows re-run into {out / 'results.md'}")


def cmd_merge(args: argparse.Namespace) -> None:
    from . import bench

    count = bench.merge(Path(args.out), [Path(s) for s in args.sources])
    print(f"{count} rows merged into {Path(args.out) / 'results.md'} (also .csv, .json)")


def cmd_data(args: argparse.Namespace) -> None:
    from . import data

    if args.make_samples:
        for name in ("mnist", "cifar10"):
            print(f"wrote {data.make_samples(name, args.data_root)}")
        return
    for name in args.names:
        for split in ("train", "test"):
            images, labels = data.load(name, split, args.data_root)
            counts = labels.bincount(minlength=10).tolist() if (labels >= 0).all() else []
            print(f"{name} {split}: {tuple(images.shape)} range [{images.min():.3f}, {images.max():.3f}] "
                  f"per-class {counts}")


def _parse_settings(pairs: list[str]) -> dict:
    """`key=value` pairs; values parsed as JSON where possible (numbers, lists, true/false)."""
    import json

    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise InvdriftError(f"--set expects key=value, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def recorded_command(argv: list[str]) -> str:
    """The command line recorded with trained weights and tuned settings, quoted as a shell needs it
    typed again (`--set 'tasks=["denoise"]'` keeps its quotes)."""
    import shlex

    return shlex.join(["invdrift", *argv])


def cmd_train(args: argparse.Namespace) -> None:
    from . import train

    overrides = _parse_settings(args.set)
    for key in ("steps", "batch_size", "seed"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    train.train(args.kind, args.dataset, overrides, args.run_dir, args.out, args.data_root,
                fresh=args.fresh, command=recorded_command(args.argv))


def cmd_demo(args: argparse.Namespace) -> None:
    from .demo import run_demo

    run_demo(Path(args.out), args.dataset, checkpoints=Path(args.checkpoints or default_checkpoints()))


def sample_path(out: str, model: str, dataset: str) -> Path:
    """--out as given; a trailing '/' or an existing folder means a file samples-MODEL-DATASET.png inside it."""
    path = Path(out)
    if out.endswith(("/", "\\")) or path.is_dir():
        return path / f"samples-{model}-{Path(dataset).name}.png"
    return path


def cmd_sample(args: argparse.Namespace) -> None:
    import torch

    from .figures import IMAGE_FORMATS, labelled_grid, save_image
    from .models import load_trained
    from .sampling import ONE_STEP, generate

    if args.n < 1:
        raise InvdriftError("--n must be at least 1")
    if args.model not in (*ONE_STEP, "ddpm"):
        raise InvdriftError(f"{args.model} is not an unconditional generative model (use drift, drift-latent or ddpm)")
    if args.sampler is not None and args.model in ONE_STEP:
        raise InvdriftError(f"--sampler applies to ddpm only ({args.model} takes one network evaluation per image)")
    if args.check and args.model not in ONE_STEP:
        raise InvdriftError("--check needs a one-step generator (drift or drift-latent)")
    out = sample_path(args.out, args.model, args.dataset)
    if out.suffix.lower() not in IMAGE_FORMATS:
        raise InvdriftError(f"--out {out}: unknown image extension {out.suffix or '(none)'!r}; use .png or .jpg")
    model, config, label = load_trained(args.model, args.dataset, args.checkpoints)
    samples, _ = generate(args.model, model, config, args.n, torch.Generator().manual_seed(args.seed),
                          args.sampler or "ancestral")
    per_row = int(args.n ** 0.5 + 0.999)
    rows = [("", samples[i:i + per_row]) for i in range(0, args.n, per_row)]
    path = save_image(labelled_grid(rows, scale=2, label_width=0), out)
    print(f"{args.n} samples of {label} → {path}")
    if args.check:
        import json

        from .evaluation import generator_report

        report = generator_report(model, config["dataset"], args.data_root, n=config.get("eval_samples", 10_000))
        print(json.dumps(report))


def cmd_restore(args: argparse.Namespace) -> None:
    from .restore import run_restore

    written = run_restore(Path(args.inputs), Path(args.out), args.task, args.method, args.dataset,
                          Path(args.checkpoints or default_checkpoints()), simulate=args.simulate,
                          mask=Path(args.mask) if args.mask else None, seed=args.seed, data_root=args.data_root,
                          samples=args.samples, overwrite=args.overwrite)
    print(f"wrote {len(set(written))} file(s) to {Path(args.out)}")


def cmd_report(args: argparse.Namespace) -> None:
    from .report import update_readme, write_report

    path = write_report(Path(args.out), Path(args.results), args.data_root, args.checkpoints, quick=args.quick,
                        vector=bool(args.latex))
    if args.readme:
        update_readme(Path(args.readme), path, Path(args.results))
    print(f"report: {path} and {path.with_suffix('.html')}")
    if args.latex:
        from .paper import write_bundle

        main = write_bundle(Path(args.latex), path.parent, Path(args.results), args.standard_errors)
        print(f"LaTeX bundle: {main} (build main.pdf with `make -C {args.latex}`; needs pdflatex and bibtex)")


def _grid_values(text: str | None) -> tuple[float, ...] | None:
    """'0.1,0.3,1' → (0.1, 0.3, 1.0); integers stay integers (SDEdit's t_start); one clear error otherwise."""
    if text is None:
        return None
    try:
        values = tuple(float(v) if any(c in v for c in ".eE") else int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise InvdriftError(f"--values wants a comma list of numbers, got {text!r}") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise InvdriftError(f"--values wants a comma list of finite numbers, got {text!r}")
    return values


def cmd_tune(args: argparse.Namespace) -> None:
    from . import operators
    from .solvers.base import Context
    from .solvers.diffusion_tuning import GRIDS, tune

    ctx = Context(args.dataset, args.data_root, Path(args.checkpoints or default_checkpoints()), seed=args.seed,
                  bf16=args.bf16)
    path = tune(ctx, _split(args.methods, tuple(GRIDS)), _split(args.task, operators.TASKS),
                args.images, recorded_command(args.argv), values=_grid_values(args.values))
    print(f"tuned settings → {path}")


def cmd_speed(args: argparse.Namespace) -> None:
    from .speed import measure_speed

    rows = measure_speed(args.dataset, args.task, [m.strip() for m in args.methods.split(",") if m.strip()],
                         args.n, args.repeats, args.data_root, Path(args.checkpoints or default_checkpoints()),
                         threads=args.threads, bf16=args.bf16)
    print(f"{args.dataset} {args.task}, batch {args.n}, median of {args.repeats} interleaved rounds; {rows[0]['machine']}")
    for row in rows:
        print(f"  {row['method']:18s} {row['images_per_s']:10.1f} images/s (batch {row['n']})   "
              f"×{row['ratio_to_first']:.3g} vs {rows[0]['method']}")


class HelpFormatter(argparse.HelpFormatter):
    """Appends '(default: X)' to an option's help unless the help already names its default or it has none."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (action.default is None or action.default is False or action.default is argparse.SUPPRESS
                or "default" in text or not action.option_strings):
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """Usage errors as one line ('invdrift: error: …', exit 2), like every other error."""

    def error(self, message: str):
        print(f"invdrift: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


GENERATIVE_MODELS = ("drift", "drift-latent", "ddpm")
DEGRADATIONS = ("Degradations (y = A x + σ n, images in [0, 1]): denoise: identity, σ 0.2; deblur: Gaussian blur "
                "std 1.5 px, 9×9 kernel, circular boundary, σ 0.05; sr2 / sr4: mean over 2×2 / 4×4 blocks, σ 0.01; "
                "inpaint_box: centred square of side H/2 missing (0 in y), σ 0.01; inpaint_random: each pixel "
                "missing with probability 0.7 (all channels together), σ 0.01.")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("invdrift")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from .operators import TASKS
    from .solvers.registry import METHODS

    parser = Parser(
        prog="invdrift", formatter_class=HelpFormatter,
        description="Restore images with generative priors (drifting models, DDPM) and classical baselines, "
                    "measured on one benchmark protocol.")
    parser.add_argument("--version", action="version", version=f"invdrift {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_parser = sub.add_parser

    def add_parser(*a, **k):
        return _add_parser(*a, formatter_class=HelpFormatter, **k)
    sub.add_parser = add_parser  # every subcommand shows its defaults

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-root", default=None,
                       help="folder with mnist.npz / cifar10.zip / official files (else $INVDRIFT_DATA, "
                            "the cache, then download)")

    p = sub.add_parser("demo", help="restore built-in samples with the shipped weights (offline, < 60 s)",
                       description="Restores a few built-in test images for two tasks with every quick method "
                                   "whose weights are shipped; writes OUT/demo.png and OUT/demo.md.")
    p.add_argument("--dataset", default="mnist", choices=("mnist", "cifar10"))
    p.add_argument("--out", default="demo-out")
    p.add_argument("--checkpoints", default=None,
                   help="folder of shipped weights (default $INVDRIFT_CHECKPOINTS or the repository's checkpoints/)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("bench", help="run the benchmark protocol and write results.csv/json/md",
                       description="Evaluate methods on the protocol's test slice; rows are merged into "
                                   "OUT/results.* (same dataset, task, method → replaced).")
    common(p)
    p.add_argument("--dataset", default=None,
                   help="mnist, cifar10, fashion-mnist, comma list or all (default mnist; with --stale: every dataset)")
    p.add_argument("--task", default=None, help="denoise, deblur, sr2, sr4, inpaint_box, inpaint_random "
                                                "(with optional parameters: deblur:std=2.0,sigma=0.1), "
                                                "comma list or all (default all)")
    p.add_argument("--methods", default=None,
                   help="comma list of methods or groups (classical, learned, drifting, diffusion, latent, family, all); "
                        "method parameters after a colon, e.g. dps,ddrm:steps=50,eta=0.5,diffpir:steps=100 "
                        "(default classical; with --stale: every method)")
    p.add_argument("--n", type=at_least_one, default=1000, help="number of test images (default 1000)")
    p.add_argument("--offset", type=int, default=0, help="first test image (default 0)")
    p.add_argument("--seed", type=int, default=0, help="measurement seed (default 0)")
    p.add_argument("--batch-size", type=at_least_one, default=256,
                   help="images per batch (default 256); recorded in each row, since a sampler's random draws follow "
                        "the batch; --stale and --again re-run a row with its recorded batch size")
    p.add_argument("--checkpoints", default=None,
                   help="folder of shipped weights (default $INVDRIFT_CHECKPOINTS or the repository's checkpoints/)")
    p.add_argument("--out", default="results", help="output folder (default results/)")
    p.add_argument("--lpips-weights", default=None,
                   help="LPIPS weights (AlexNet + linear heads, safetensors; else $INVDRIFT_LPIPS; else missing)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for the timed runs (default: $OMP_NUM_THREADS if set, else all cores, as the "
                        "protocol says; fewer are recorded in the machine column)")
    p.add_argument("--samples", type=int, default=0, metavar="K",
                   help="for methods that sample a posterior (drift-cond, drift-cond-latent, drift-opt, sdedit, "
                        "scoreald, dps): also draw K samples per image and add psnr_1, psnr_mean, range_coverage, "
                        "sample_std, spread_skill (default 0: off)")
    p.add_argument("--bf16", action="store_true",
                   help="network evaluations of the DDPM solvers and the trained restorers in bfloat16 (about "
                        "2× faster on CPUs with native bf16; rows record precision)")
    p.add_argument("--keep-outputs", default=None, metavar="DIR",
                   help="also write each row's restorations (float32, with their test indices) to "
                        "DIR/DATASET--OPERATOR--METHOD.safetensors, for same-image analyses such as "
                        "scripts/fd_bootstrap.py")
    p.add_argument("--stale", action="store_true",
                   help="re-run the rows of OUT measured with weights other than the shipped ones (only those of "
                        "--dataset, --task and --methods where given), each with its own dataset, operator, "
                        "method, n, offset, seed, samples and precision")
    p.add_argument("--again", action="store_true",
                   help="re-run the rows of OUT chosen by --dataset, --task (a family such as inpaint_box takes "
                        "every box) and --methods, each with its own operator, n, offset, seed, samples and "
                        "precision: for rows measured before a method changed")
    p.add_argument("--float32", action="store_true",
                   help="with --stale or --again: re-run the chosen rows in float32 even where they recorded bf16 "
                        "(on CPUs without native bf16, where bf16 is emulated and many times slower)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("merge", help="merge the rows of other results folders into one",
                       description="Rows of the SOURCES (bench output folders) replace rows of OUT with the same "
                                   "dataset, task and method; nothing is recomputed.")
    p.add_argument("sources", nargs="+", help="results folders (each with results.json)")
    p.add_argument("--out", default="results", help="folder to merge into (default results/)")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("train", help="train a model (resumes from --run-dir; torchrun-ready)",
                       description="Train a model kind on a dataset's train split. Resumes exactly from "
                                   "RUN_DIR/state.* if present; exports EMA weights + JSON config to OUT at the end. "
                                   "Run under `torchrun --nproc_per_node N -m invdrift train ...` for several processes.")
    common(p)
    p.add_argument("kind", help="classical (statistics of the baselines), classifier, and the generative kinds")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--steps", type=at_least_one, default=None, help="total optimisation steps (default: the recipe's)")
    p.add_argument("--batch-size", type=at_least_one, default=None, help="global batch size")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a recipe setting (repeatable); the value is read as JSON where it "
                        "can be (numbers, true/false, [lists]) and must have the type of the setting's default")
    p.add_argument("--run-dir", default=None, help="training state folder (default runs/KIND-DATASET)")
    p.add_argument("--out", default="checkpoints", help="where the final weights go (default checkpoints/)")
    p.add_argument("--fresh", action="store_true", help="ignore an existing state in --run-dir")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("restore", help="restore your own images (PNG/JPEG/.npy) with one method",
                       description="Restore measurements (or, with --simulate, degrade clean images by the "
                                   "protocol operator first). All inputs are checked before anything is written: "
                                   "size and channels must match the dataset (H/2, H/4 for sr2/sr4), no NaN, "
                                   "measurements within [-0.5, 1.5], clean images within [0, 1]. Never overwrites inputs. "
                                   "Writes OUT/NAME.png per input and OUT/metrics.csv (per image; PSNR and SSIM with "
                                   "--simulate). " + DEGRADATIONS)
    common(p)
    p.add_argument("--task", required=True, metavar="TASK",
                   help=f"the degradation: {', '.join(TASKS)}, with optional parameters, e.g. "
                        "deblur:std=2.0,sigma=0.1 (PROTOCOL.md v2; the README's Degradations table)")
    p.add_argument("--in", dest="inputs", required=True, help="an image file or a folder of images (PNG, JPEG, .npy)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--method", default="tikhonov", metavar="METHOD",
                   help=f"one of {', '.join(METHODS)}; parameters after a colon, e.g. ddrm:steps=50,eta=0.5")
    p.add_argument("--dataset", default="mnist", help="which trained models and image size to use: mnist, cifar10")
    p.add_argument("--mask", default=None,
                   help="observed-pixel mask image for inpaint_random (white = observed); with --simulate it "
                        "replaces the random mask")
    p.add_argument("--simulate", action="store_true", help="inputs are clean images: degrade, restore, report PSNR")
    p.add_argument("--seed", type=int, default=0, help="noise, masks and samples")
    p.add_argument("--samples", type=int, default=1, metavar="K",
                   help="drift-cond / drift-cond-latent: draw K posterior samples, write each as NAME_sampleK.png "
                        "and their mean (an MMSE-like estimate) as NAME.png")
    p.add_argument("--overwrite", action="store_true",
                   help="replace files of an earlier run in --out (by default an --out holding them is refused)")
    p.add_argument("--checkpoints", default=None, help="folder of shipped weights")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("report", help="tables, qualitative grids and plots from bench results and shipped weights",
                       description="Builds OUT/report.md and report.html from RESULTS/results.json (run "
                                   "`invdrift bench` first) and the shipped weights; no training.")
    common(p)
    p.add_argument("--results", default="results", help="folder with results.json (default results/)")
    p.add_argument("--out", default="report", help="output folder (default report/)")
    p.add_argument("--readme", default=None, help="also rewrite the Results block of this README")
    p.add_argument("--quick", action="store_true",
                   help="leave the slow methods (DPS, ScoreALD, SDEdit, drift-opt) out of the qualitative grids "
                        "(by default they are run on the 8 pictured images only)")
    p.add_argument("--checkpoints", default=None, help="folder of shipped weights")
    p.add_argument("--latex", default=None, metavar="DIR",
                   help="also write the paper bundle to DIR: one booktabs .tex per table, plots as PDF, main.tex "
                        "(two-column article), refs.bib and a Makefile for pdflatex")
    p.add_argument("--standard-errors", action="store_true", help="with --latex: PSNR ± standard error in the tables")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("tune", help="tune the DDPM solvers' settings on TRAIN images (grid search, per task)",
                       description="Grid search of sdedit t_start, scoreald weight, dps zeta (x̂₀ clamped or not), ddrm eta "
                                   "and diffpir lam by mean PSNR on the "
                                   "first train images; the choice is stored in CHECKPOINTS/diffusion-D.json and "
                                   "used by bench, restore and report. Never looks at test images.")
    common(p)
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--task", default="all", help="comma list of tasks or all")
    p.add_argument("--methods", default="all", help="comma list of sdedit, scoreald, dps, ddrm, diffpir, or all")
    p.add_argument("--images", type=int, default=16, help="train images per task")
    p.add_argument("--values", default=None, metavar="V1,V2,...",
                   help="with one method: its parameter's candidates instead of the built-in grid (e.g. to "
                        "extend it past an edge that won); DPS keeps both clamp variants")
    p.add_argument("--bf16", action="store_true",
                   help="DDPM network evaluations in bfloat16 (about 2× faster on CPUs with native bf16)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoints", default=None, help="folder of shipped weights (the record is written there)")
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("speed", help="images/s of several methods measured interleaved in one run (ratios)",
                       description="Times methods interleaved on the same measurements (median of --repeats rounds "
                                   "after a warm-up), so their ratio is not disturbed by other work on the machine.")
    common(p)
    p.add_argument("--dataset", default="mnist", help="mnist, cifar10, fashion-mnist or an image folder")
    p.add_argument("--task", default="denoise", metavar="TASK",
                   help=f"{', '.join(TASKS)}, with optional parameters (deblur:std=2.0,sigma=0.1)")
    p.add_argument("--methods", required=True,
                   help="comma list of restoration methods and/or gen:drift, gen:drift-latent, gen:ddpm, "
                        "gen:ddim50; METHOD@B times it on a batch of B instead of --n (for slow methods)")
    p.add_argument("--n", type=at_least_one, default=256, help="batch size (default 256)")
    p.add_argument("--repeats", type=at_least_one, default=3, help="interleaved timing rounds (the median is reported)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads (default: $OMP_NUM_THREADS if set, else all cores)")
    p.add_argument("--bf16", action="store_true",
                   help="also time each method with its network evaluations in bfloat16 (rows 'METHOD bf16'), "
                        "interleaved with float32 in the same run")
    p.add_argument("--checkpoints", default=None, help="folder of shipped weights")
    p.set_defaults(func=cmd_speed)

    p = sub.add_parser("sample", help="unconditional samples from a shipped generative model, as a PNG grid",
                       description="Draw N unconditional samples from a shipped generator and save them as one grid "
                                   "image (PNG or JPEG by the extension of --out).")
    p.add_argument("--model", default="drift", choices=GENERATIVE_MODELS,
                   help="drift, drift-latent (one network evaluation per image) or ddpm")
    p.add_argument("--sampler", default=None, choices=("ancestral", "ddim50"),
                   help="for ddpm only: ancestral (1000 steps, the default) or ddim50")
    p.add_argument("--dataset", default="mnist",
                   help="mnist, cifar10, or the folder a model was trained on (its weights are named after it)")
    p.add_argument("--n", type=int, default=64, help="number of samples")
    p.add_argument("--seed", type=int, default=0, help="sampling seed")
    p.add_argument("--out", default="samples.png",
                   help="grid file (.png or .jpg); a folder (existing, or ending in /) gets samples-MODEL-DATASET.png")
    p.add_argument("--checkpoints", default=None, help="folder of shipped weights")
    p.add_argument("--check", action="store_true",
                   help="also print the checks the training ran (class shares of 10,000 samples, mean nearest-train "
                        "distance of samples and of test images) as JSON; needs the dataset")
    common(p)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("data", help="load datasets and print their sizes, or rebuild the built-in samples",
                       description="Load each named dataset (mnist, cifar10, fashion-mnist, or a folder / zip of "
                                   "images) from --data-root, $INVDRIFT_DATA or the cache, and print its splits' "
                                   "shapes, value range and per-class counts.")
    common(p)
    p.add_argument("names", nargs="*", default=["mnist", "cifar10"],
                   help="datasets: mnist, cifar10, fashion-mnist or a folder/zip of images (default: mnist cifar10)")
    p.add_argument("--make-samples", action="store_true",
                   help="rewrite the built-in sample set (test images 0–31) from the data")
    p.set_defaults(func=cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed as one line
        return int(exc.code or 0)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args.func(args)
    except InvdriftError as exc:
        print(f"invdrift: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("invdrift: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
