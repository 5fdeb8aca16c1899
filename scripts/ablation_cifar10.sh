#!/usr/bin/env bash
# The restorer-loss ablation on CIFAR-10: drift inside each measurement's group (G = 4) on pixel
# features against the same loss on pixel + frozen-classifier features; the shipped six-task U-Net
# (width 32), 32 measurements × 4 samples per step, bf16, seed 0, STEPS steps; then bench on test
# images 0–199 (denoise, deblur, sr4) with K = 8 posterior samples and the table. The third variant is
# the classifier-feature run warm-started from checkpoints/regression-cifar10 for STEPS/2 steps (the
# committed table's run started from the 900-step float32 regression weights shipped before).
# Usage: bash scripts/ablation_cifar10.sh DATA [STEPS]   (400 steps: about 45 min on one thread)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:?usage: scripts/ablation_cifar10.sh DATA [STEPS]}
STEPS=${2:-400}
OUT=out/ablation-cifar10
train() { name=$1; shift; .venv/bin/invdrift train drift-cond --dataset cifar10 --batch-size 32 --set samples_per_y=4 \
  --set loss=drift-group --set bf16=true --data-root "$DATA" --run-dir runs/ablation-cifar10-$name --out $OUT/$name "$@"; }
train group4-pixels --steps "$STEPS" --set features=pixels
train group4-classifier --steps "$STEPS" --set features=classifier
train warm-group4 --steps $((STEPS / 2)) --set features=classifier --set init=checkpoints/regression-cifar10.safetensors
for name in group4-pixels group4-classifier warm-group4; do
  cp checkpoints/classifier-cifar10.* $OUT/$name/
  .venv/bin/invdrift bench --dataset cifar10 --task denoise,deblur,sr4 --methods drift-cond --n 200 --samples 8 \
    --data-root "$DATA" --checkpoints $OUT/$name --out $OUT/results-$name
done
.venv/bin/python scripts/ablation_table.py $OUT > results/ablation-cifar10.md
