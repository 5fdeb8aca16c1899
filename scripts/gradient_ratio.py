"""How large a term added to the restorer's grouped drift is against it, to choose its weight: for a few
training batches at the shipped weights, the norm of the drift loss's gradient, of the term's at weight 1
and their ratio. TERM is `mean_weight` (the default: the mean's error), `marginal_weight`, `energy_weight`
or `crps_weight`. Usage:
    .venv/bin/python scripts/gradient_ratio.py DATA mnist [BATCHES] [TERM]
"""

import json
import sys

import torch

from invdrift import train
from invdrift.recipes import RECIPES

RECIPE_KEYS = ("samples_per_y", "loss", "features", "batch_size")  # read from the shipped record


TERMS = ("mean_weight", "marginal_weight", "energy_weight", "crps_weight")


def gradients(dataset: str, data_root: str, term: str, weight: float, batches: int) -> list[tuple[str, torch.Tensor]]:
    """(task, flattened parameter gradient) of the first `batches` training steps, from the shipped weights."""
    record = json.loads(open(f"checkpoints/drift-cond-{dataset}.json").read())
    settings = {key: record[key] for key in RECIPE_KEYS} | {
        "bf16": False, term: weight, "init": f"checkpoints/drift-cond-{dataset}.safetensors"}
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
    term = sys.argv[4] if len(sys.argv) > 4 else "mean_weight"
    if term not in TERMS:
        sys.exit(f"error: unknown term {term!r}; use one of {', '.join(TERMS)}")
    drift_only = gradients(dataset, data_root, term, 0.0, batches)
    with_term = gradients(dataset, data_root, term, 1.0, batches)
    for (task, drift), (_, both) in zip(drift_only, with_term):
        added = both - drift
        print(f"{task:15s} drift {drift.norm():.4g}  {term} = 1: {added.norm():.4g}  "
              f"ratio {drift.norm() / added.norm():.3g}")
