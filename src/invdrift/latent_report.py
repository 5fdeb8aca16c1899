"""The report's pixel-vs-latent section: drifting in pixel space against drifting in the autoencoder latent.

Per task a side-by-side table (PSNR, SSIM, fd, images/s, training minutes), the autoencoder's
reconstruction quality, the class coverage of both unconditional generators, their sample grids side
by side, and a conclusion whose every number is computed from those rows.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from PIL import Image

from . import bench, operators
from .checkpoint import read_config
from .figures import hstack, save_png
from .models import weights_path

LATENT_PAIRS = (("drift-cond", "drift-cond-latent"), ("drift-cond-mean8", "drift-cond-latent-mean8"),
                ("drift-opt", "drift-opt-latent"))
TRAINED_BY = {"drift-cond": "drift-cond", "drift-cond-mean8": "drift-cond", "drift-opt": "drift",
              "drift-cond-latent": "drift-cond-latent", "drift-cond-latent-mean8": "drift-cond-latent",
              "drift-opt-latent": "drift-latent"}


def train_seconds(method: str, dataset: str, checkpoints: Path) -> tuple[float, bool] | None:
    """Training time behind a method's weights (the latent ones add the autoencoder's): each record's
    `lineage_seconds` (its run and every run it was warm-started from) where it holds one, else its last
    run's `train_seconds`; and whether every record held the whole chain. None if a file is missing."""
    kinds = [TRAINED_BY[method]] + (["autoencoder"] if "latent" in method else [])
    total, whole = 0.0, True
    for kind in kinds:
        path = weights_path(kind, dataset, checkpoints)
        if not path.is_file():
            return None
        record = read_config(path)
        whole = whole and "lineage_seconds" in record
        total += record.get("lineage_seconds", record.get("train_seconds", 0.0))
    return total, whole


def _minutes(seconds: tuple[float, bool] | None) -> str:
    """Minutes, marked ≥ when runs behind the weights are not counted."""
    return "—" if seconds is None else f"{'' if seconds[1] else '≥'}{seconds[0] / 60:.0f}"


def _cells(rows: list[dict], dataset: str) -> dict[tuple[str, str], dict]:
    return {(r["task"], r["method"]): r for r in rows if r["dataset"] == dataset}


def latent_comparison(rows: list[dict], dataset: str, checkpoints: Path) -> list[str]:
    """Pixel vs latent drifting per task: PSNR, SSIM, fd, images/s and training minutes side by side."""
    cell = _cells(rows, dataset)
    pairs = [(p, q) for p, q in LATENT_PAIRS if any(m == q for _, m in cell)]
    if not pairs:
        return []
    cols = ("n", "psnr", "ssim", "fd", "images_per_s")
    lines = ["| task | method | space | " + " | ".join(cols) + " | training, min |", "|---|---|---|" + "---|" * (len(cols) + 1)]
    for task in operators.TASKS:
        for pixel, latent in pairs:
            for method, space in ((pixel, "pixel"), (latent, "latent")):
                r = cell.get((task, method))
                if r:
                    lines.append(f"| {task} | {method} | {space} | " + " | ".join(bench._fmt(r.get(c)) for c in cols)
                                 + f" | {_minutes(train_seconds(method, dataset, checkpoints))} |")
    return lines


def pair_summary(rows: list[dict], dataset: str, pixel: str, latent: str) -> dict | None:
    """Latent minus pixel over the tasks where both rows exist on the same number of images."""
    cell = _cells(rows, dataset)
    both = [(cell[(t, pixel)], cell[(t, latent)]) for t in operators.TASKS
            if (t, pixel) in cell and (t, latent) in cell and cell[(t, pixel)].get("n") == cell[(t, latent)].get("n")]
    if not both:
        return None

    def numbers(key):
        return [(p[key], q[key]) for p, q in both if isinstance(p.get(key), (int, float)) and isinstance(q.get(key), (int, float))]
    psnr, fd, speed = numbers("psnr"), numbers("fd"), numbers("images_per_s")
    return {"tasks": len(both), "n": sorted({p["n"] for p, _ in both}),
            "psnr_wins": sum(q > p for p, q in psnr), "psnr_delta": statistics.mean(q - p for p, q in psnr),
            "fd_wins": sum(q < p for p, q in fd), "fd_tasks": len(fd),
            "speed_ratio": statistics.median(q / p for p, q in speed if p > 0) if speed else None}


def conclusion(rows: list[dict], dataset: str, checkpoints: Path) -> list[str]:
    """One measured sentence per pixel/latent pair, computed from the rows."""
    lines = []
    for pixel, latent in LATENT_PAIRS:
        s = pair_summary(rows, dataset, pixel, latent)
        if s is None:
            counts = {m: sorted({r["n"] for r in rows if r["dataset"] == dataset and r["method"] == m})
                      for m in (latent, pixel)}
            if all(counts.values()):
                lines.append(f"- `{latent}` (n = {'/'.join(map(str, counts[latent]))}) vs `{pixel}` "
                             f"(n = {'/'.join(map(str, counts[pixel]))}): not compared, no task has both rows "
                             "on the same test images.")
            continue
        n = "/".join(str(v) for v in s["n"])
        text = (f"- `{latent}` vs `{pixel}` (n = {n}): higher PSNR on {s['psnr_wins']} of {s['tasks']} tasks "
                f"(mean difference {s['psnr_delta']:+.2f} dB), lower fd on {s['fd_wins']} of {s['fd_tasks']}")
        if s["speed_ratio"] is not None:
            text += f", {s['speed_ratio']:.2f}× the images/s (median over tasks)"
        pixel_s, latent_s = train_seconds(pixel, dataset, checkpoints), train_seconds(latent, dataset, checkpoints)
        if pixel_s is not None and latent_s is not None:
            text += (f"; training {_minutes(latent_s)} min (autoencoder included) against {_minutes(pixel_s)} min, "
                     "runs the weights were warm-started from included"
                     + ("" if latent_s[1] and pixel_s[1] else " (≥: some records do not hold them)"))
        lines.append(text + ".")
    return lines


def priors_summary(dataset: str, checkpoints: Path) -> list[str]:
    """The autoencoder's reconstruction and the unconditional generators' class coverage and memorisation check."""
    lines = []
    ae_path = weights_path("autoencoder", dataset, checkpoints)
    if ae_path.is_file():
        ae = read_config(ae_path)
        res = ae.get("results", {})
        latent = f"{ae['latent_channels']}×{ae['size'] // 4}×{ae['size'] // 4}"
        accuracy = f", linear class head accuracy {res['head_accuracy_0_999']}" if "head_accuracy_0_999" in res else ""
        lines.append(f"- autoencoder: latent {latent}, reconstruction PSNR {res.get('test_psnr_0_999', '—')} dB on test "
                     f"images 0–999{accuracy}, {ae.get('train_seconds', 0) / 60:.0f} min of training.")
    for kind, space in (("drift", "pixel"), ("drift-latent", "latent")):
        path = weights_path(kind, dataset, checkpoints)
        if not path.is_file():
            continue
        res = read_config(path).get("results", {})
        shares = res.get("class_shares")
        coverage = (f"class shares of 10,000 samples {100 * min(shares):.1f}–{100 * max(shares):.1f} %"
                    if shares else "class shares not measured")
        jpeg = (f"; after the JPEG round trip of the training copies: {res['nn_train_distance_test_jpeg']}"
                if "nn_train_distance_test_jpeg" in res else "")
        lines.append(f"- `{kind}` ({space} generator, 1 NFE): {coverage}; mean distance to the nearest train image "
                     f"{res.get('nn_train_distance_samples', '—')} (real test images: {res.get('nn_train_distance_test', '—')}"
                     f"{jpeg}).")
    return lines


def side_by_side(left: Path, right: Path, out: Path) -> Path:
    """Two sample grids next to each other (pixel left, latent right)."""
    return save_png(hstack([Image.open(p).convert("RGB") for p in (left, right)]), out)


def section(rows: list[dict], dataset: str, checkpoints: Path, out: Path) -> list[str]:
    """The whole Markdown section (empty when no latent row and no latent generator exist)."""
    table = latent_comparison(rows, dataset, checkpoints)
    priors = priors_summary(dataset, checkpoints)
    if not table and not any("drift-latent" in line for line in priors):
        return []
    md = ["### Pixel vs latent drifting", ""]
    if table:
        md += [*table, ""]
    md += [*priors, *conclusion(rows, dataset, checkpoints), ""]
    if table:
        md += ["images/s ratios compare bench rows, which may come from separate runs on a shared machine; "
               "`invdrift speed --methods drift-cond,drift-cond-latent` measures them in one run.", ""]
    pixel, latent = out / f"samples-drift-{dataset}.png", out / f"samples-drift-latent-{dataset}.png"
    if pixel.is_file() and latent.is_file():
        path = side_by_side(pixel, latent, out / f"samples-pixel-vs-latent-{dataset}.png")
        md += ["Unconditional samples, pixel (left) and latent (right) drifting generator, one network evaluation each:",
               "", f"![pixel vs latent samples]({path.name})", ""]
    return md
