#!/usr/bin/env bash
# The robustness rows: every method that runs under a second per image on operators moved away from v1
# (robustness.VARIANTS) on test images 0–999, DPS on 32 of them, one denoising step at the DDPM's
# t = 100, 500, 900 noise levels, and Fashion-MNIST through the MNIST models. Rows merge into results/.
# Usage: bash scripts/robustness.sh DATA_ROOT [DATASET ...]      (default datasets: mnist cifar10)
# ROBUSTNESS_N=200 runs the fast methods on the first 200 test images instead of 1000 (DPS stays on 32).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${INVDRIFT_DATA:-../shared/data}}"
shift || true
DATASETS="${*:-mnist cifar10}"
PY=.venv/bin/python
B=".venv/bin/invdrift bench --data-root $DATA --out results --bf16"
N="${ROBUSTNESS_N:-1000}"
VARIANTS=$($PY -c "from invdrift.robustness import VARIANTS; print(','.join(VARIANTS))")
FAST="classical,regression,drift-cond,drift-cond-mean8,drift-cond-latent,drift-cond-latent-mean8,ddrm,diffpir"
with_family() {  # the fast methods, plus the family-trained restorers where their weights ship
  if [[ -f "checkpoints/drift-cond-family-$1.safetensors" ]]; then echo "$FAST,family"; else echo "$FAST"; fi
}
for D in $DATASETS; do
  LEVELS=$($PY -c "from invdrift.report import ddpm_schedule; from invdrift.robustness import denoising_levels; \
from invdrift.checkpoint import default_checkpoints; print(','.join(denoising_levels(ddpm_schedule('$D', default_checkpoints()))))")
  $B --dataset "$D" --task "$VARIANTS" --methods "$(with_family "$D")" --n "$N"
  $B --dataset "$D" --task "$VARIANTS" --methods dps --n 32
  $B --dataset "$D" --task "$LEVELS" --methods "pinv,wiener,tikhonov,regression,drift-cond,drift-cond-mean8,tweedie,ddrm,diffpir" --n "$N"
done
if [[ " $DATASETS " == *" mnist "* ]]; then
  $B --dataset fashion-mnist --task all --methods "$(with_family mnist)" --n 1000
  $B --dataset fashion-mnist --task all --methods dps,drift-opt --n 32
fi
