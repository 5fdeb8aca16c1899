"""Median time of a training step (forward, loss, backward, AdamW) in float32 and under bf16 autocast,
for recipes given as (kind, dataset, settings), in one run. Usage:
    .venv/bin/python scripts/step_time.py DATA '[("regression", "mnist", {"batch_size": 128})]'
"""

import ast
import sys
import time

import torch

from invdrift import train
from invdrift.recipes import RECIPES


def step_seconds(kind: str, dataset: str, settings: dict, data_root: str, steps: int = 6) -> float:
    config = train.resolve_config(kind, dataset, settings)
    recipe = RECIPES[kind]
    model = recipe.build(config)
    env = recipe.setup(config, data_root, train.Dist())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    times = []
    for step in range(steps):
        generator = train.step_generator(0, step)
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config["bf16"]):
            loss, _ = recipe.loss(model, env, step, generator, train.Dist())
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return sorted(times[1:])[len(times[1:]) // 2]  # median after a warm-up step


if __name__ == "__main__":
    for kind, dataset, settings in ast.literal_eval(sys.argv[2]):
        fp32 = step_seconds(kind, dataset, settings | {"bf16": False}, sys.argv[1])
        bf16 = step_seconds(kind, dataset, settings | {"bf16": True}, sys.argv[1])
        print(f"{kind} {dataset} {settings}: float32 {fp32:.3f} s, bf16 {bf16:.3f} s per step (×{fp32 / bf16:.2f})")
