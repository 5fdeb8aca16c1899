#!/usr/bin/env bash
# The restorer-loss ablation (MNIST sr4, deblur, inpaint_box): same U-Net (width 32), 1000 steps,
# 128 generated images per step, bf16 autocast, seed 0; then bench on test images 0–999 with K = 8
# posterior samples and the table. Usage: bash scripts/ablation.sh DATA   (about 1.5 h on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:?usage: scripts/ablation.sh DATA}
OUT=out/ablation
T='--set tasks=["sr4","deblur","inpaint_box"] --set bf16=true'
train() { name=$1; shift; .venv/bin/invdrift train "$@" --dataset mnist --steps 1000 $T --data-root "$DATA" \
  --run-dir runs/ablation-$name --out $OUT/$name; }
train joint drift-cond --set loss=joint --batch-size 64 --set samples_per_y=2
train group4 drift-cond --set loss=drift-group --batch-size 32 --set samples_per_y=4
train group8 drift-cond --set loss=drift-group --batch-size 16 --set samples_per_y=8
train energy4 drift-cond --set loss=energy --batch-size 32 --set samples_per_y=4
train regression regression --batch-size 128
for name in joint group4 group8 energy4 regression; do
  cp checkpoints/classifier-mnist.* $OUT/$name/
  method=drift-cond; [ "$name" = regression ] && method=regression
  .venv/bin/invdrift bench --dataset mnist --task sr4,deblur,inpaint_box --methods $method --n 1000 --samples 8 \
    --data-root "$DATA" --checkpoints $OUT/$name --out $OUT/results-$name
done
.venv/bin/python scripts/ablation_table.py $OUT > results/ablation-mnist.md
