"""How large the restorer's mean term is against its grouped drift, to choose `mean_weight`: for a few
training batches at the shipped weights, the norm of the drift loss's gradient, of the mean term's
(`mean_error`, λ = 1) and their ratio. Usage:
    .venv/bin/python scripts/gradient_ratio.py DATA mnist [BATCHES]
"""

import json
import sys

import torch

from invdrift import train
from invdrift.recipes import RECIPES

RECIPE_KEYS = ("samples_per_y", "loss", "features", "batch_size")  # read from the shipped record


def gradients(dataset: str, data_root: str, mean_weight: float, batches: int) -> list[tuple[str, torch.Tensor]]:
    """(task, flattened parameter gradient) of the first `batches` training steps, from the shipped weights."""
    record = json.loads(open(f"checkpoints/drift-cond-{dataset}.json").read())
    settings = {key: record[key] for key in RECIPE_KEYS} | {
        "bf16": False, "mean_weight": mean_weight, "init": f"checkpoints/drift-cond-{dataset}.safetensors"}
    config = train.resolve_config("drift-cond", dataset, settings)
    recipe = RECIPES["drift-cond"]
    model = recipe.build(config)
    recipe.initialise(model, config)
    env = recipe.setup(config, data_root, train.Dist())
    out = []
    for step in range(batches):
        model.zero_grad()
        loss, logs = recipe.loss(model, env, step, train.step_generator(0, step), train.Dist())
        loss.backward()
        out.append((logs["task"], torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])))
    return out


if __name__ == "__main__":
    data_root, dataset = sys.argv[1], sys.argv[2]
    batches = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    drift_only = gradients(dataset, data_root, 0.0, batches)
    with_mean = gradients(dataset, data_root, 1.0, batches)
    for (task, drift), (_, both) in zip(drift_only, with_mean):
        mean_term = both - drift
        print(f"{task:15s} drift {drift.norm():.4g}  mean term (λ = 1) {mean_term.norm():.4g}  "
              f"ratio {drift.norm() / mean_term.norm():.3g}")
