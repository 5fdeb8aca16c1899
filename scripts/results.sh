#!/usr/bin/env bash
# Rebuild results/ and report/ from the shipped weights (no training): the bench commands behind the
# committed tables, then the report. Slow methods run on fewer test images (their n is in every row).
# Usage: bash scripts/results.sh DATA_ROOT        (roughly 13–14 hours on 2 CPU cores, mostly drift-opt, DPS and ScoreALD;
# DPS with K = 8 posterior samples for the posterior tables is about 2 h for MNIST and 3.5 h for CIFAR-10 of it)
# The DDPM solvers' settings come from checkpoints/diffusion-D.json (`invdrift tune --dataset D --bf16`).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${INVDRIFT_DATA:-../shared/data}}"
B=".venv/bin/invdrift bench --data-root $DATA --out results"
$B --dataset all --task all --methods classical --n 1000
$B --dataset mnist --task all --methods learned,drift-cond,drift-cond-mean8 --n 1000 --samples 8
$B --dataset cifar10 --task all --methods learned,drift-cond,drift-cond-mean8 --n 1000 --samples 8
$B --dataset mnist --task all --methods ddrm,diffpir --n 1000 --bf16
$B --dataset cifar10 --task all --methods ddrm,diffpir --n 1000 --bf16
$B --dataset mnist --task denoise --methods tweedie --n 1000
$B --dataset mnist --task all --methods sdedit --n 1000 --bf16
$B --dataset mnist --task all --methods ddrm:steps=10,ddrm:steps=50,ddrm:steps=100,diffpir:steps=10,diffpir:steps=50,diffpir:steps=100 --n 200 --bf16
$B --dataset mnist --task all --methods dps:steps=10,dps:steps=20,dps:steps=50,dps:steps=100 --n 100 --bf16
$B --dataset mnist --task denoise,deblur,inpaint_box,inpaint_random --methods scoreald --n 100
$B --dataset mnist --task sr2,sr4 --methods scoreald --n 100 --bf16
$B --dataset mnist --task denoise,sr4,inpaint_box --methods dps --n 100 --bf16 --keep-outputs out/kept
$B --dataset mnist --task deblur,sr2,inpaint_random --methods dps --n 1000 --bf16 --keep-outputs out/kept  # the tasks compared with drift-cond on 1000 images
$B --dataset mnist --task all --methods drift-opt --n 200
$B --dataset mnist --task all --methods sdedit:t=250,sdedit:t=500,sdedit:t=750 --n 100 --bf16
$B --dataset cifar10 --task denoise --methods tweedie --n 1000
$B --dataset cifar10 --task all --methods sdedit --n 200 --bf16
$B --dataset cifar10 --task all --methods scoreald --n 32 --bf16
$B --dataset cifar10 --task denoise,deblur,sr2,sr4,inpaint_box --methods dps --n 100 --bf16 --keep-outputs out/kept
$B --dataset cifar10 --task inpaint_random --methods dps --n 300 --bf16 --keep-outputs out/kept  # compared with drift-cond on 300 images
$B --dataset cifar10 --task all --methods ddrm:steps=10,ddrm:steps=50,ddrm:steps=100,diffpir:steps=10,diffpir:steps=50,diffpir:steps=100 --n 100 --bf16
$B --dataset cifar10 --task all --methods dps:steps=10,dps:steps=20,dps:steps=50,dps:steps=100 --n 50 --bf16
$B --dataset cifar10 --task all --methods sdedit:t=250,sdedit:t=500,sdedit:t=750 --n 50 --bf16
$B --dataset cifar10 --task all --methods drift-opt --n 200
$B --dataset all --task all --methods drift-cond-latent,drift-cond-latent-mean8 --n 1000
$B --dataset all --task all --methods drift-opt-latent --n 32
.venv/bin/python scripts/posterior_table.py "$DATA" mnist results results/posterior same,dps-samples,same-samples,temperature
.venv/bin/python scripts/posterior_table.py "$DATA" cifar10 results results/posterior same,dps-samples,same-samples,temperature
ROBUSTNESS_N=200 bash scripts/robustness.sh "$DATA" mnist cifar10
.venv/bin/python scripts/family_table.py "$DATA" mnist results/family v1,inside,same,temperature,same1000
.venv/bin/python scripts/fd_bootstrap.py "$DATA" out/kept,out/kept-1000 --write results/dominance-bootstrap.md  # restorations kept by the same-image benches
.venv/bin/invdrift report --results results --out report --data-root "$DATA" --readme README.md
