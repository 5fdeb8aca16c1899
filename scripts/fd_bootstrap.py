"""Do the images resolve a dominance verdict? A paired bootstrap (invdrift.paired_bootstrap) of PSNR and fd
for two methods on the same test images, from the restorations a bench kept (`bench --keep-outputs DIR`).

For each comparison: both methods' PSNR and fd on the kept images (equal to their rows' when the benches
were the rows' own, on the same CPU), PROTOCOL.md v2's verdict (A dominated by B: lower PSNR and higher fd),
and over 1000 resamples of the images the share in which A is dominated, the shares in which A has the lower
PSNR and the lower fd, and the central 90 % interval of fd(A) / fd(B).

Usage: .venv/bin/python scripts/fd_bootstrap.py DATA OUTPUTS DATASET OPERATOR A B prints one comparison;
       .venv/bin/python scripts/fd_bootstrap.py DATA OUTPUTS[,OUTPUTS...] --write FILE writes COMPARISONS, one
       row for each folder that holds both methods' kept outputs, as a table with its commands.
"""

import sys

import torch

from invdrift import data, kept_outputs, metrics, operators
from invdrift.checkpoint import default_checkpoints
from invdrift.errors import InvdriftError
from invdrift.fileio import write_text_atomic
from invdrift.metrics import frechet_distance
from invdrift.models import load_trained
from invdrift.paired_bootstrap import paired_bootstrap
from invdrift.realism import classifier_features

DRAWS = 1000
COMPARISONS = [  # (dataset, operator, A, B): the one-step restorers against DPS where PROTOCOL.md v2 compares them
    *(("mnist", task, "drift-cond", "dps") for task in operators.TASKS),
    ("cifar10", "inpaint_random", "drift-cond", "dps"),
    *(("mnist", spec, "drift-cond-family", "dps") for spec in (
        "denoise:sigma=0.1", "deblur:std=0.8,sigma=0.02", "deblur:std=2.2,sigma=0.07", "sr2:sigma=0.1",
        "sr4:sigma=0.05", "inpaint_box:size=10,sigma=0.05", "inpaint_random:missing=0.85,sigma=0.03")),
]


def compare(data_root: str, outputs: str, dataset: str, operator: str, a: str, b: str) -> dict:
    """Point estimates and bootstrap shares of one comparison."""
    spec = operators.make(operator, data.SHAPES[dataset]).spec
    x_a, idx_a = kept_outputs.load(outputs, dataset, spec, a)
    x_b, idx_b = kept_outputs.load(outputs, dataset, spec, b)
    n = min(len(idx_a), len(idx_b))  # the shorter slice; both start at the same image
    if not torch.equal(idx_a[:n], idx_b[:n]) or not torch.equal(idx_a[:n], torch.arange(idx_a[0], idx_a[0] + n)):
        raise InvdriftError(f"{dataset} {operator}: {a} and {b} were not kept on one contiguous slice of images")
    x, _ = data.load_slice(dataset, "test", int(idx_a[0]), n, data_root)
    classifier = load_trained("classifier", data.models_dataset(dataset), default_checkpoints())[0]
    feats = [classifier_features(classifier, images) for images in (x_a[:n], x_b[:n], x)]
    psnr_a, psnr_b = metrics.psnr(x_a[:n], x), metrics.psnr(x_b[:n], x)
    fd_a, fd_b = frechet_distance(feats[0], feats[2]), frechet_distance(feats[1], feats[2])
    boot = paired_bootstrap(psnr_a, psnr_b, *feats, draws=DRAWS)
    low, high = boot.fd_ratio_interval()
    return {"dataset": dataset, "operator": operator, "a": a, "b": b, "n": n,
            "psnr": (psnr_a.double().mean().item(), psnr_b.double().mean().item()), "fd": (fd_a, fd_b),
            "dominated": psnr_a.double().mean() < psnr_b.double().mean() and fd_a > fd_b,
            "dominated_share": boot.dominated_share(), "lower_psnr_share": boot.lower_psnr_share(),
            "lower_fd_share": boot.lower_fd_share(),
            "ratio": (low, high)}


def line(r: dict) -> str:
    """One table row."""
    return (f"| {r['dataset']} | {r['operator']} | {r['a']} vs {r['b']} | {r['n']} | "
            f"{r['psnr'][0]:.2f} / {r['psnr'][1]:.2f} | {r['fd'][0]:.3g} / {r['fd'][1]:.3g} | "
            f"{'yes' if r['dominated'] else 'no'} | {r['dominated_share']:.3f} | {r['lower_psnr_share']:.3f} | "
            f"{r['lower_fd_share']:.3f} | "
            f"{r['ratio'][0]:.2f}–{r['ratio'][1]:.2f} |")


HEADER = ["| dataset | operator | A vs B | n | PSNR A / B | fd A / B | A dominated | share of resamples: A dominated "
          "| share: A's PSNR lower | share: A's fd lower | fd(A) / fd(B), 90 % of resamples |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]


def main(data_root: str, outputs: str, *args: str) -> None:
    torch.set_num_threads(1)
    if args[:1] == ("--write",) and len(args) == 2:
        rows, skipped = [], []
        for dataset, operator, a, b in COMPARISONS:
            found = 0
            for folder in outputs.split(","):
                try:
                    rows.append(line(compare(data_root, folder, dataset, operator, a, b)))
                    found += 1
                except InvdriftError as exc:
                    if "not found" not in str(exc):
                        raise
            if not found:
                skipped.append(f"{dataset} {operator} ({a} vs {b})")
                print(f"skipped {dataset} {operator} {a} vs {b}: not kept in {outputs}", file=sys.stderr)
        text = ["# Do the images resolve the dominance verdicts? A paired bootstrap over images", "",
                f"Generated by `.venv/bin/python scripts/fd_bootstrap.py DATA {outputs} --write {args[1]}` from the "
                "restorations kept by the rows' benches (`invdrift bench ... --keep-outputs DIR`, DIR one of "
                f"{', '.join(outputs.split(','))}), {DRAWS} resamples of the images (seed 0). PSNR and fd are recomputed from the kept "
                "restorations: they equal the rows' where the bench ran on the rows' machine (bf16 DPS differs "
                "between CPUs).", ""] + HEADER + rows
        if skipped:
            text += ["", "Not measured (no kept restorations): " + "; ".join(skipped) + "."]
        write_text_atomic(args[1], "\n".join(text) + "\n")
        print(f"wrote {args[1]} ({len(rows)} comparisons)")
    elif len(args) == 4:
        print("\n".join(HEADER + [line(compare(data_root, outputs, *args))]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    try:
        main(*sys.argv[1:]) if len(sys.argv) >= 3 else sys.exit(__doc__)
    except InvdriftError as exc:
        sys.exit(f"error: {exc}")
