"""Two runs of one method on the same images: are the restorations equal, and how far apart are their PSNR and
fd? For runs kept by `invdrift bench --keep-outputs` with different batch sizes or n, which share images 0…n−1.

A sampler whose random draws follow the batch (one generator per batch) gives other draws when the batch
size changes; this measures what that does to a row.

Usage: .venv/bin/python scripts/kept_runs_compare.py DATA DIR_A DIR_B DATASET OPERATOR METHOD [METHOD...]
"""

import sys

import torch

from invdrift import data, kept_outputs, metrics, operators
from invdrift.checkpoint import default_checkpoints
from invdrift.errors import InvdriftError
from invdrift.models import load_trained
from invdrift.realism import classifier_features


def main(data_root: str, dir_a: str, dir_b: str, dataset: str, operator: str, *methods: str) -> None:
    torch.set_num_threads(1)
    spec = operators.make(operator, data.SHAPES[dataset]).spec
    classifier = load_trained("classifier", data.models_dataset(dataset), default_checkpoints())[0]
    print(f"| {dataset} {operator} | images | equal | PSNR A / B | fd A / B |\n|---|---|---|---|---|")
    for method in methods:
        x_a, idx_a = kept_outputs.load(dir_a, dataset, spec, method)
        x_b, idx_b = kept_outputs.load(dir_b, dataset, spec, method)
        n = min(len(idx_a), len(idx_b))
        if not torch.equal(idx_a[:n], idx_b[:n]):
            raise InvdriftError(f"{method}: the two runs do not start on the same images")
        x, _ = data.load_slice(dataset, "test", int(idx_a[0]), n, data_root)
        clean = classifier_features(classifier, x)
        fd = [metrics.frechet_distance(classifier_features(classifier, r[:n]), clean) for r in (x_a, x_b)]
        psnr = [metrics.psnr(r[:n], x).mean().item() for r in (x_a, x_b)]
        print(f"| {method} | {int(idx_a[0])}–{int(idx_a[0]) + n - 1} | {'yes' if torch.equal(x_a[:n], x_b[:n]) else 'no'} "
              f"| {psnr[0]:.2f} / {psnr[1]:.2f} | {fd[0]:.3g} / {fd[1]:.3g} |")


if __name__ == "__main__":
    try:
        main(*sys.argv[1:]) if len(sys.argv) >= 7 else sys.exit(__doc__)
    except InvdriftError as exc:
        sys.exit(f"error: {exc}")
