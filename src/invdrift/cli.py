"""Command line: `invdrift demo | data | bench | train | sample | restore | report`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InvdriftError


def _split(text: str, choices: tuple[str, ...], what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if items == ["all"]:
        return list(choices)
    return items


def cmd_bench(args: argparse.Namespace) -> None:
    from . import bench, data, operators
    from .solvers import registry

    methods = registry.resolve(args.methods)
    rows = bench.bench(_split(args.dataset, tuple(data.SHAPES)[:2], "dataset"),
                       _split(args.task, operators.TASKS, "task"), methods, n=args.n,
                       offset=args.offset, seed=args.seed, out=Path(args.out), data_root=args.data_root,
                       batch_size=args.batch_size, checkpoints=Path(args.checkpoints))
    print(f"{len(rows)} rows written to {Path(args.out) / 'results.md'} (also .csv, .json)")


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invdrift",
        description="Restore images with generative priors (drifting models, DDPM) and classical baselines, "
                    "measured on one benchmark protocol.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-root", default=None,
                       help="folder with mnist.npz / cifar10.zip / official files (else $INVDRIFT_DATA, "
                            "the cache, then download)")

    p = sub.add_parser("bench", help="run the benchmark protocol and write results.csv/json/md",
                       description="Evaluate methods on the protocol's test slice; rows are merged into "
                                   "OUT/results.* (same dataset, task, method → replaced).")
    common(p)
    p.add_argument("--dataset", default="mnist", help="mnist, cifar10, fashion-mnist, comma list or all")
    p.add_argument("--task", default="all", help="denoise, deblur, sr2, sr4, inpaint_box, inpaint_random, "
                                                 "comma list or all")
    p.add_argument("--methods", default="classical", help="comma list of methods or groups (classical, all)")
    p.add_argument("--n", type=int, default=1000, help="number of test images (default 1000)")
    p.add_argument("--offset", type=int, default=0, help="first test image (default 0)")
    p.add_argument("--seed", type=int, default=0, help="measurement seed (default 0)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--checkpoints", default="checkpoints", help="folder of shipped weights")
    p.add_argument("--out", default="results", help="output folder (default results/)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("data", help="load datasets and print their sizes, or rebuild the built-in samples")
    common(p)
    p.add_argument("names", nargs="*", default=["mnist", "cifar10"])
    p.add_argument("--make-samples", action="store_true",
                   help="rewrite the built-in sample set (test images 0–31) from the data")
    p.set_defaults(func=cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
