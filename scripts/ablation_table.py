"""Markdown table of the restorer-loss ablation from its bench folders and training records."""

import json
import sys
from pathlib import Path

VARIANTS = {"joint": "joint batch kernel (x, A†y), 2 samples per y", "group4": "drift within each y's group, G = 4",
            "group8": "drift within each y's group, G = 8", "energy4": "energy score per group, G = 4",
            "regression": "MSE regression", "group4-pixels": "drift within each y's group, G = 4, pixel features",
            "group4-classifier": "drift within each y's group, G = 4, pixel + classifier features",
            "warm-group4": "as above, warm-started from the regression weights"}


def main(root: Path) -> None:
    print("| training loss | task | psnr_1 | psnr_mean (K = 8) | fd | range_coverage | sample_std | steps | s/step |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, label in VARIANTS.items():
        results = root / f"results-{name}" / "results.json"
        if not results.is_file():
            continue
        weights_record = next(p for p in (root / name).glob("*.json") if not p.name.startswith("classifier"))
        record = json.loads(weights_record.read_text())
        per_step = record["train_seconds"] / record["steps_done"]
        for row in json.loads(results.read_text())["rows"]:
            get = lambda key: f"{row[key]:.4g}" if isinstance(row.get(key), float) else "—"
            print(f"| {label} | {row['task']} | {get('psnr_1') if 'psnr_1' in row else get('psnr')} | "
                  f"{get('psnr_mean')} | {get('fd')} | {get('range_coverage')} | {get('sample_std')} | {record['steps_done']} | "
                  f"{per_step:.2f} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
