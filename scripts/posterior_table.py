"""The one-step restorer's targets as a posterior sampler, per task, from the committed rows.

Reads RESULTS/results.json (regression, drift-cond with --samples 8, drift-cond-mean8, dps, tweedie)
and runs, unless they are there, small benches into OUT:
- OUT/same-DATASET: drift-cond on the first n test images of the DPS row (same images, seed and
  operator), for the dominance check of PROTOCOL.md v2;
- OUT/dps-samples-DATASET: DPS with K = 8 posterior samples on 32 test images (its posterior columns);
- OUT/same-samples-DATASET: drift-cond with K = 8 on the same 32 images, beside DPS's columns;
- OUT/temperature-DATASET and OUT/temperature-samples-DATASET: the same two benches for drift-cond at the
  lower noise scales TEMPERATURES (`drift-cond:noise_scale=s`), to compare it with DPS at equal spread.
Writes OUT/posterior-DATASET.md with each target met / not met and the numbers behind it, the sampler's
spread–skill ratio and the PSNR of its samples' own mean (K → ∞) against the regression.
Usage: .venv/bin/python scripts/posterior_table.py DATA DATASET [RESULTS] [OUT] [PARTS] [TASKS]
(PARTS: the benches allowed to run now, default same,dps-samples,same-samples,temperature; dps-samples runs
only the tasks not yet in OUT/dps-samples-DATASET, one bench per task, in the order of TASKS (comma-separated,
default every task) so that two processes can share the tasks; any other word, e.g. `table`, runs
no bench and only rewrites the table from the rows already there.)
"""

import math
import sys
from pathlib import Path

from invdrift import bench, metrics, operators

DPS_SAMPLES_N = 32
KEPT = Path("out/kept")  # the same-image benches' restorations, for scripts/fd_bootstrap.py
TEMPERATURES = (0.5, 0.75)  # noise scales below the trained 1, the same on every task (not tuned)
CALIBRATED = (0.70, 0.85)


def verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def same_images(a: dict, b: dict) -> bool:
    """PROTOCOL.md v2 compares two rows only on the same test images (here: the same n from image 0)."""
    return a["n"] == b["n"]


def dominates(a: dict, b: dict) -> bool:
    """PROTOCOL.md v2: row a dominates row b (same images) when its PSNR is higher and its fd lower."""
    return a["psnr"] > b["psnr"] and a["fd"] < b["fd"]


def limit_gap(one: dict, mean_k: dict, reg: dict, k: int) -> float:
    """PSNR of the mean of infinitely many samples (`metrics.limit_mse`) minus the regression's."""
    return 10 * math.log10(reg["mse"] / max(metrics.limit_mse(one["mse"], mean_k["mse"], k), 1e-20))


def spread_skill_cell(row: dict) -> str:
    """The row's spread–skill ratio, or a dash for rows measured before the column existed."""
    return f"{row['spread_skill']:.2f}" if row.get("spread_skill") is not None else "—"


def posterior_cells(row: dict | None) -> str:
    """psnr_1 / psnr_mean / range_coverage / spread–skill of a K = 8 row, or a dash."""
    if row is None:
        return "—"
    return (f"{row['psnr_1']:.2f} / {row['psnr_mean']:.2f} / {row['range_coverage']:.3f} / "
            f"{spread_skill_cell(row)}")


def temperature_section(rows: dict, same: dict, dps_k: dict, same_k: dict, cold: list[dict],
                        cold_k: list[dict]) -> list[str]:
    """DPS against the restorer at its trained noise scale and at each lower one, on the same images:
    one sample and fd for the dominance check, and the K = 8 posterior columns (calibration beside them)."""
    if not cold:
        return []
    one_by = {(r["task"], r["method"]): r for r in cold}
    k_by = {(r["task"], r["method"]): r for r in cold_k}
    lines = ["", "## At a lower noise scale: the restorer against DPS at equal spread", "",
             "`drift-cond:noise_scale=s` feeds s·ε to the trained restorer (s = 1 as trained, the rows above). "
             "One sample / fd on the same test images as DPS's row; psnr_1 / psnr_mean / range_coverage / "
             f"spread–skill with K = 8 on test images 0–{DPS_SAMPLES_N - 1}. The scales are the same on every task "
             "(not tuned).", "",
             "| task | sampler | one sample / fd (n) | dominated by DPS | psnr_1 / psnr_mean / range_coverage / "
             "spread–skill (K = 8) |",
             "|---|---|---|---|---|"]
    for task in operators.TASKS:
        dps = rows.get((task, "dps"))
        if dps is None or task not in same:
            continue
        lines.append(f"| {task} | dps | {dps['psnr']:.2f} / {dps['fd']:.3g} ({dps['n']}) | — | "
                     f"{posterior_cells(dps_k.get(task))} |")
        samplers = [("drift-cond (s = 1)", same[task], same_k.get(task))]
        scaled = sorted({m for t, m in one_by if t == task}, reverse=True)  # the larger scale first
        samplers += [(m.replace("drift-cond:noise_scale=", "drift-cond, s = "), one_by[(task, m)],
                      k_by.get((task, m))) for m in scaled]
        for name, one, k_row in samplers:
            dominated = dominates(dps, one)
            verdict_cell = ("other images" if not same_images(one, dps) else "yes" if dominated else "no")
            lines.append(f"| {task} | {name} | {one['psnr']:.2f} / {one['fd']:.3g} ({one['n']}) | "
                         f"{verdict_cell} | {posterior_cells(k_row)} |")
    return lines


def main(data_root: str, dataset: str, results: str = "results", out: str = "results/posterior",
         parts: str = "same,dps-samples,same-samples,temperature",
         tasks_wanted: str = ",".join(operators.TASKS)) -> None:
    out, wanted = Path(out), parts.split(",")
    unknown = set(tasks_wanted.split(",")) - set(operators.TASKS)
    if unknown:
        sys.exit(f"error: unknown task(s) {', '.join(sorted(unknown))}; known: {', '.join(operators.TASKS)}")
    rows = {(r["task"], r["method"]): r for r in bench.load_rows(Path(results)) if r["dataset"] == dataset}
    common = {"data_root": data_root, "progress": True, "threads": 1}  # float32 restorer, as its main rows
    same_dir, dps_dir = out / f"same-{dataset}", out / f"dps-samples-{dataset}"
    same_k_dir = out / f"same-samples-{dataset}"
    tasks = [t for t in operators.TASKS if (t, "dps") in rows and (t, "drift-cond") in rows]
    if "same" in wanted and not (same_dir / "results.json").is_file():
        for n in sorted({rows[(t, "dps")]["n"] for t in tasks}):
            bench.bench([dataset], [t for t in tasks if rows[(t, "dps")]["n"] == n], ["drift-cond"], n=n,
                        out=same_dir, keep_outputs=KEPT, **common)
    if "dps-samples" in wanted:  # one task per bench, so that an interrupted run keeps the tasks it finished
        done = {r["task"] for r in bench.load_rows(dps_dir)}
        for task in [t for t in tasks_wanted.split(",") if t not in done]:
            bench.bench([dataset], [task], ["dps"], n=DPS_SAMPLES_N, samples=8, out=dps_dir, bf16=True, **common)
    if "same-samples" in wanted and not (same_k_dir / "results.json").is_file():
        bench.bench([dataset], list(operators.TASKS), ["drift-cond"], n=DPS_SAMPLES_N, samples=8, out=same_k_dir,
                    **common)
    cold = [f"drift-cond:noise_scale={s}" for s in TEMPERATURES]
    cold_dir, cold_k_dir = out / f"temperature-{dataset}", out / f"temperature-samples-{dataset}"
    if "temperature" in wanted and not (cold_dir / "results.json").is_file():
        for n in sorted({rows[(t, "dps")]["n"] for t in tasks}):
            bench.bench([dataset], [t for t in tasks if rows[(t, "dps")]["n"] == n], cold, n=n, out=cold_dir,
                        **common)
    if "temperature" in wanted and not (cold_k_dir / "results.json").is_file():
        bench.bench([dataset], list(operators.TASKS), cold, n=DPS_SAMPLES_N, samples=8, out=cold_k_dir, **common)
    same = {r["task"]: r for r in bench.load_rows(same_dir)}
    dps_k = {r["task"]: r for r in bench.load_rows(dps_dir)}
    same_k = {r["task"]: r for r in bench.load_rows(same_k_dir)}

    lines = [f"# The one-step restorer as a posterior sampler: {dataset}", "",
             f"Generated by `scripts/posterior_table.py` from `{results}` (drift-cond, regression and mean of 8 on "
             f"test images 0–999; DPS on its row's n), `{same_dir}`, `{dps_dir}`, `{same_k_dir}`, `{cold_dir}` "
             f"and `{cold_k_dir}`.", "",
             "| task | regression | one sample / fd | mean of 8 | DPS (n) / fd | mean8 ≥ reg − 0.6 and ≥ DPS | "
             "one ≥ reg − 3.5, fd < reg's | not dominated by DPS (same images) | range_coverage 0.70–0.85 | "
             "spread–skill (1 = calibrated) | mean of ∞ − regression, dB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for task in operators.TASKS:
        reg, one, mean8 = rows.get((task, "regression")), rows.get((task, "drift-cond")), \
            rows.get((task, "drift-cond-mean8"))
        dps = rows.get((task, "dps"))
        if not (reg and one and mean8):
            continue
        mean8_ok = mean8["psnr"] >= reg["psnr"] - 0.6 and (dps is None or mean8["psnr"] >= dps["psnr"])
        single_ok = one["psnr"] >= reg["psnr"] - 3.5 and one["fd"] < reg["fd"]
        same_row = same.get(task)
        if dps and same_row and same_images(same_row, dps):
            dominated = dominates(dps, same_row)
            dominance = (f"{verdict(not dominated)} ({same_row['psnr']:.2f} / {same_row['fd']:.3g} vs "
                     f"{dps['psnr']:.2f} / {dps['fd']:.3g}, n {dps['n']})")
        else:
            dominance = "not run"
        coverage = one.get("range_coverage")
        coverage_cell = (f"{verdict(CALIBRATED[0] <= coverage <= CALIBRATED[1])} ({coverage:.3f})"
                  if coverage is not None else "not run")
        dps_cell = f"{dps['psnr']:.2f} ({dps['n']}) / {dps['fd']:.3g}" if dps else "—"
        lines.append(f"| {task} | {reg['psnr']:.2f} | {one['psnr']:.2f} / {one['fd']:.3g} | {mean8['psnr']:.2f} | "
                     f"{dps_cell} | {verdict(mean8_ok)} | {verdict(single_ok)} | {dominance} | {coverage_cell} | "
                     f"{spread_skill_cell(one)} | {limit_gap(one, mean8, reg, 8):+.2f} |")
    lines += ["", "spread–skill: √((1 + 1/8) · mean variance of the 8 samples / mean squared error of their mean), "
                  "1 for a calibrated sampler, below 1 when the samples spread less than their mean errs. Mean of ∞ − "
                  "regression: PSNR of the samples' own mean (K → ∞, from the one-sample and mean-of-8 MSE) minus the "
                  "regression's. For a calibrated sampler the mean of 8 is 10·log10(1.125) = 0.51 dB under its mean of "
                  "∞, so it meets mean of 8 ≥ regression − 0.6 dB only where its mean of ∞ is within 0.09 dB of the "
                  "regression; a sampler that spreads less meets it more easily."]
    tweedie, reg = rows.get(("denoise", "tweedie")), rows.get(("denoise", "regression"))
    if tweedie and reg:
        lines += ["", f"Regression on denoise within 1 dB of tweedie: {verdict(reg['psnr'] >= tweedie['psnr'] - 1)} "
                      f"({reg['psnr']:.2f} vs {tweedie['psnr']:.2f})."]
    if dps_k:
        lines += ["", f"## DPS and the one-step restorer as posterior samplers (K = 8, the same test images "
                      f"0–{DPS_SAMPLES_N - 1})", "",
                  "| task | DPS psnr_1 | DPS psnr_mean | DPS range_coverage | DPS sample_std | DPS spread–skill | "
                  "drift-cond psnr_1 | drift-cond psnr_mean | drift-cond range_coverage | drift-cond sample_std | "
                  "drift-cond spread–skill |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for task in [t for t in operators.TASKS if t in dps_k]:
            cells = [dps_k[task]] + ([same_k[task]] if task in same_k else [])
            values = [f"{r['psnr_1']:.2f} | {r['psnr_mean']:.2f} | {r['range_coverage']:.3f} | {r['sample_std']:.4f} | "
                      f"{spread_skill_cell(r)}" for r in cells]
            lines.append(f"| {task} | " + " | ".join(values + ["— | — | — | — | —"] * (2 - len(cells))) + " |")
    lines += temperature_section(rows, same, dps_k, same_k, bench.load_rows(cold_dir), bench.load_rows(cold_k_dir))
    out.mkdir(parents=True, exist_ok=True)
    (out / f"posterior-{dataset}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:])
