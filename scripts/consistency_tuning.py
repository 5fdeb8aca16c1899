"""Choose τ of a sampling restorer's data-consistency step (`METHOD:dc=τ`, src/invdrift/data_consistency.py)
on TRAIN images only, as PROTOCOL.md v2 asks of a tuned method parameter.

For each operator and each τ (and without the step) on train images 0–N−1: one-sample PSNR, PSNR of the
mean of K = 8, range coverage (K = 8) and fd of the single samples against the same clean images. The
chosen τ is the one with the best one-sample PSNR averaged over the operators, among those whose
coverage stays within 0.02 of the coverage without the step on every operator.

With --plain the step runs without the perturbation (every draw pulled towards y itself), for comparison.

Usage: .venv/bin/python scripts/consistency_tuning.py DATA DATASET KIND OPERATOR[;OPERATOR...] [N] [--plain]
(KIND: drift-cond or drift-cond-family; operators separated by ';'), e.g.
  scripts/consistency_tuning.py ../shared/data mnist drift-cond-family \
      "deblur:std=0.8,sigma=0.02;denoise:sigma=0.1;sr2:sigma=0.1" 300
"""

import sys

import torch

from invdrift import data
from invdrift.bench import draw_metrics, measure_slice
from invdrift.data_consistency import consistency_step
from invdrift.metrics import frechet_distance_eigh
from invdrift.models import load_trained
from invdrift.realism import classifier_features
from invdrift.solvers.generative import posterior_draws

TAUS = (None, 0.01, 0.02, 0.03, 0.05, 0.1)
K = 8
COVERAGE_SLACK = 0.02


def main(data_root: str, dataset: str, kind: str, specs: str, n: str = "300", plain: bool = False) -> None:
    torch.set_num_threads(1)
    x, _ = data.load_slice(dataset, "train", 0, int(n), data_root)
    model = load_trained(kind, dataset)[0]
    classifier = load_trained("classifier", dataset)[0]
    clean = classifier_features(classifier, x)
    step = "the step without perturbation" if plain else "the perturbed step"
    print(f"{kind} on {dataset} train images 0–{len(x) - 1}, {step}; one sample PSNR / mean of {K} / coverage / fd\n")
    print("| operator | " + " | ".join("no step" if t is None else f"τ = {t:g}" for t in TAUS) + " |")
    print("|---|" + "---|" * len(TAUS))
    scores = {t: [] for t in TAUS}
    for spec in specs.split(";"):
        batch = measure_slice(x, 0, spec, 0, len(x))[0]
        cells = []
        with torch.no_grad():
            raw = posterior_draws(model, batch.y, batch.op, K, 0)
        for tau in TAUS:
            with torch.no_grad():
                if tau is None:
                    draws = raw
                elif plain:
                    draws = consistency_step(raw, batch.y, batch.op, tau)
                else:
                    draws = posterior_draws(model, batch.y, batch.op, K, 0, consistency=tau)
            got = draw_metrics(draws, x)
            one, mean, coverage = got["psnr_1"], got["psnr_mean"], got["range_coverage"]
            fd = frechet_distance_eigh(classifier_features(classifier, draws[0].clamp(0, 1)), clean)
            scores[tau].append((one, coverage))
            cells.append(f"{one:.2f} / {mean:.2f} / {coverage:.3f} / {fd:.3g}")
        print(f"| {spec} | " + " | ".join(cells) + " |", flush=True)
    base = [c for _, c in scores[None]]
    allowed = [t for t in TAUS if all(c >= b - COVERAGE_SLACK for (_, c), b in zip(scores[t], base))]
    best = max(allowed, key=lambda t: sum(p for p, _ in scores[t]))
    print(f"\nchosen: {'no step' if best is None else f'dc={best:g}'} (best mean one-sample PSNR with coverage "
          f"within {COVERAGE_SLACK} of the no-step coverage on every operator)")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--plain"]
    main(*args, plain="--plain" in sys.argv) if len(args) in (4, 5) else sys.exit(__doc__)
