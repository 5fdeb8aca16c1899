"""`invdrift report`: tables, qualitative grids (successes and worst failures), posterior samples,
speed–quality and perception–distortion plots, unconditional samples → report.md + report.html."""

from __future__ import annotations

import html
import re
from pathlib import Path

import torch

from . import bench, data, latent_report, metrics, operators, provenance, robustness
from .checkpoint import default_checkpoints, read_config
from .errors import InvdriftError
from .fileio import write_text_atomic
from .figures import labelled_grid, save_png
from .models import load_trained, weights_path
from .plots import nfe_ladder, scatter_by_task
from .priors.ddpm import Schedule
from .sampling import generate
from .solvers import registry
from .solvers.base import Context
from .solvers.generative import posterior_draws

QUICK_NFE = 20  # methods up to this cost are re-run on the whole grid slice; costlier ones on the picked images
HEADLINE = ("drift-cond", "regression", "tikhonov")
README_START, README_END = "<!-- results:start -->", "<!-- results:end -->"


def methods_by_cost(rows: list[dict], dataset: str, task: str) -> tuple[list[str], list[str]]:
    """The task's benchmarked methods split into quick ones (≤ QUICK_NFE evaluations) and slow ones."""
    quick, slow = [], []
    for r in rows:
        if (r["dataset"], r["task"]) != (dataset, task) or r["method"] not in registry.METHODS:
            continue
        nfe = r.get("nfe")
        (quick if isinstance(nfe, int) and nfe <= QUICK_NFE else slow).append(r["method"])
    return quick, slow


def _restore(name: str, ctx: Context, y: torch.Tensor, op: operators.Operator) -> torch.Tensor:
    solver = registry.build(name, ctx, op)
    with torch.no_grad():  # gradient-based solvers enable gradients themselves
        return solver(y, op).clamp(0, 1)


def qualitative(dataset: str, task: str, methods: list[str], x: torch.Tensor, ctx: Context, out: Path,
                count: int = 4, slow: list[str] = ()) -> tuple[Path, str]:
    """Grid of the `count` best and worst images (by the reference method's PSNR) for every method.

    `methods` are run on the whole slice to find the best and worst images; `slow` methods (hundreds
    of network evaluations) are run on the picked images only.
    """
    b = bench.measure_slice(x, 0, task, ctx.seed, len(x))[0]
    estimates = {name: _restore(name, ctx, b.y, b.op) for name in methods}
    reference = next((m for m in HEADLINE if m in estimates), methods[0])
    scores = metrics.psnr(estimates[reference], x)
    order = scores.argsort()
    picks = torch.cat([order.flip(0)[:count], order[:count]])
    rows = [("truth", x[picks]), ("pinv(y)", b.op.pinv(b.y)[picks])]
    rows += [(name, est[picks]) for name, est in estimates.items()]
    picked_op = b.op.select(picks)
    rows += [(name, _restore(name, ctx, b.y[picks], picked_op)) for name in slow]
    title = f"{dataset} {task}: left {count} best, right {count} worst by {reference} PSNR"
    path = save_png(labelled_grid(rows, scale=2, title=title), out / f"grid-{dataset}-{task}.png")
    return path, reference


def posterior_grid(dataset: str, task: str, x: torch.Tensor, ctx: Context, out: Path, samples: int = 8) -> Path | None:
    """Several drift-cond samples (as the method returns them: observed pixels from y for inpainting),
    their mean and per-pixel std for a few images."""
    try:
        model, _, _ = load_trained("drift-cond", dataset, ctx.checkpoints)
    except InvdriftError:
        return None
    x = x[:4]
    op = operators.make(task, x.shape[1:]).for_images(range(len(x)), ctx.seed)
    y = op.measure(x, range(len(x)), ctx.seed)
    with torch.no_grad():
        draws = posterior_draws(model, y, op, samples, ctx.seed).clamp(0, 1)
    std = draws.std(0)
    rows = [("truth", x), ("pinv(y)", op.pinv(y))] + [(f"sample {i + 1}", draws[i]) for i in range(samples)]
    rows += [("mean of 8", draws.mean(0)), ("std x4", (std * 4).clamp(0, 1))]
    return save_png(labelled_grid(rows, scale=2, title=f"{dataset} {task}: drift-cond posterior samples"),
                    out / f"posterior-{dataset}-{task}.png")


def unconditional(dataset: str, ctx: Context, out: Path) -> list[Path]:
    """64-sample grids of each shipped unconditional prior (drifting: 1 step; ddpm: 1000-step and DDIM-50)."""
    paths = []
    for kind, sampler in (("drift", "ancestral"), ("drift-latent", "ancestral"), ("ddpm", "ancestral"),
                          ("ddpm", "ddim50")):
        if not weights_path(kind, dataset, ctx.checkpoints).is_file():
            continue
        model, config, label = load_trained(kind, dataset, ctx.checkpoints)
        images, nfe = generate(kind, model, config, 64, torch.Generator().manual_seed(0), sampler)
        rows = [("", images[i:i + 8]) for i in range(0, 64, 8)]
        name = kind if kind != "ddpm" else f"ddpm-{sampler}"
        paths.append(save_png(labelled_grid(rows, scale=2, label_width=0, title=f"{name} ({nfe} NFE) {label}"),
                              out / f"samples-{name}-{dataset}.png"))
    return paths


def _table(rows: list[dict], dataset: str) -> str:
    cols = ("task", "method", "n", "psnr", "psnr_se", "ssim", "consistency", "fd", "nfe", "images_per_s")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        if r["dataset"] == dataset:
            lines.append("| " + " | ".join(bench._fmt(r.get(c)) for c in cols) + " |")
    return "\n".join(lines)


def beside(rows: list[dict], dataset: str, reference: str) -> list[str]:
    """PSNR / fd of every method on `dataset` next to the same method and task on `reference` (equal n only)."""
    cell = {(r["dataset"], r["task"], r["method"]): r for r in rows}
    lines = [f"| task | method | {dataset} | {reference} | difference (dB) |", "|---|---|---|---|---|"]
    for r in (r for r in rows if r["dataset"] == dataset):
        other = cell.get((reference, r["task"], r["method"]))
        if other is None or other["n"] != r["n"]:
            continue
        lines.append(f"| {r['task']} | {r['method']} | {r['psnr']:.2f} / {bench._fmt(r.get('fd'))} | "
                     f"{other['psnr']:.2f} / {bench._fmt(other.get('fd'))} | {r['psnr'] - other['psnr']:+.2f} |")
    return lines + ["", f"PSNR dB / fd on the same test indices and n; fd uses the {reference} classifier for both."]


def _best_by_task(rows: list[dict], dataset: str) -> list[str]:
    lines = []
    for task in operators.TASKS:
        cand = [r for r in rows if r["dataset"] == dataset and r["task"] == task]
        if cand:
            best = max(cand, key=lambda r: r["psnr"])
            lines.append(f"- {task}: best PSNR {best['psnr']:.2f} dB by `{best['method']}` (n = {best['n']})")
    return lines


def ddpm_schedule(dataset: str, checkpoints: Path) -> Schedule | None:
    """The noise schedule of the shipped DDPM (from its JSON config), or None without one."""
    path = weights_path("ddpm", dataset, checkpoints)
    if not path.is_file():
        return None
    config = read_config(path)
    return Schedule.linear(config["T"], config["beta_start"], config["beta_end"])


NFE_BUDGETS = (("0", 0, 0), ("1", 1, 1), ("2–30", 2, 30), ("31–300", 31, 300), ("over 300", 301, 10 ** 9))


def _best_per_band(rows: list[dict], dataset: str) -> dict[str, list[dict | None]]:
    """Per task with rows, the best-PSNR row in each band of NFE_BUDGETS (None for an empty band)."""
    best = {}
    for task in operators.TASKS:
        cell = [r for r in rows if r["dataset"] == dataset and r["task"] == task and r.get("nfe") is not None]
        if cell:
            bands = ([r for r in cell if low <= r["nfe"] <= high] for _, low, high in NFE_BUDGETS)
            best[task] = [max(band, key=lambda r: r["psnr"]) if band else None for band in bands]
    return best


def best_by_budget(rows: list[dict], dataset: str) -> list[str]:
    """Per task, the best PSNR within each band of network evaluations per image."""
    lines = ["| task | " + " | ".join(f"{label} NFE" for label, _, _ in NFE_BUDGETS) + " |",
             "|---|" + "---|" * len(NFE_BUDGETS)]
    for task, entries in _best_per_band(rows, dataset).items():
        cells = [f"`{r['method']}` {r['psnr']:.2f}" + ("*" if r["n"] < 1000 else "") if r else "—" for r in entries]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return lines + ["", "Best PSNR (dB) within each band of network evaluations per image; * fewer than 1000 "
                        "test images (n in the full table)."]


def budget_sentence(rows: list[dict], dataset: str) -> str:
    """Which method wins each band of network evaluations (1, 2–30, 31–300, over 300) on most tasks."""
    best = _best_per_band(rows, dataset)
    parts = []
    for index, (label, low, _) in enumerate(NFE_BUDGETS):
        if low == 0:
            continue
        winners = [entries[index]["method"] for entries in best.values() if entries[index]]
        if not winners:
            continue
        counts = {m: winners.count(m) for m in dict.fromkeys(winners)}
        top = max(counts.values())
        leaders = " and ".join(f"`{m}`" for m, c in counts.items() if c == top)
        parts.append(f"at {label} NFE {leaders} ({top} of {len(winners)} tasks)")
    return ("Best PSNR per budget of network evaluations: " + "; ".join(parts) + ".") if parts else ""


def tuning_section(ctx: Context) -> list[str]:
    """The DDPM solvers' settings chosen on train images (checkpoints/diffusion-D.json), if recorded."""
    from .solvers.diffusion_tuning import read_record, settings_table, tuning_path

    record = read_record(tuning_path(ctx.dataset, ctx.checkpoints))
    if record is None:
        return []
    return ["### Settings of the DDPM solvers", "",
            f"Chosen per task by mean PSNR on train images (`{tuning_path(ctx.dataset, ctx.checkpoints).name}`, "
            f"tuned for {record['ddpm']}); 'lower/upper edge': no candidate was scored beyond the chosen one.", ""
            ] + settings_table(record) + [""]


def write_report(out: Path, results: Path, data_root=None, checkpoints: Path | None = None,
                 n_grid: int = 64, quick: bool = False, vector: bool = False) -> Path:
    """Build the report from results/results.json and the shipped weights.

    With `quick`, the qualitative grids leave out the slow methods (more than QUICK_NFE evaluations);
    with `vector`, every plot is also written as PDF beside its PNG.
    """
    rows = bench.load_rows(results)
    checkpoints = Path(checkpoints or default_checkpoints())
    if not rows:
        raise InvdriftError(f"no results in {results}: run `invdrift bench … --out {results}` first")
    out.mkdir(parents=True, exist_ok=True)

    def plot(draw, *args):
        """A plot as PNG, and as vector PDF beside it when `vector` (for the LaTeX bundle)."""
        args = list(args)
        index = next(i for i, a in enumerate(args) if isinstance(a, Path))
        if vector:
            draw(*args[:index], args[index].with_suffix(".pdf"), *args[index + 1:])
        return draw(*args)
    machine = sorted({r.get("machine", "") for r in rows})
    md = ["# invdrift report", "", "Protocol v1 (PROTOCOL.md). Machine: " + "; ".join(machine), "",
          "Rows with n < 1000 use the first n test images (slow methods). fd is estimated from the n restored "
          "and n clean images, so it is biased upwards for small n: compare fd only between rows of the same n.", ""]
    md += provenance.stale_summary(rows, checkpoints)
    all_rows, rows = rows, [r for r in rows if r["task"] in operators.TASKS]  # v1 operators; moved ones below
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        ctx = Context(data.models_dataset(dataset), data_root, checkpoints)
        ds_rows = [r for r in rows if r["dataset"] == dataset]
        md += [f"## {dataset}", "", _table(rows, dataset), ""] + _best_by_task(rows, dataset) + [""]
        if ctx.dataset != dataset:
            md += [f"### Out of distribution: {dataset} test images through the {ctx.dataset} models", ""]
            md += beside(rows, dataset, ctx.dataset) + [""]
        speed = plot(scatter_by_task, ds_rows, "images_per_s", "psnr", out / f"speed-{dataset}.png",
                     f"{dataset}: speed vs quality", True, "images/s (log)", "PSNR (dB)")
        pd = plot(scatter_by_task, ds_rows, "fd", "psnr", out / f"perception-{dataset}.png",
                  f"{dataset}: perception (fd, lower is better) vs distortion (PSNR)", False, "fd", "PSNR (dB)")
        ladder = plot(nfe_ladder, ds_rows, "psnr", out / f"nfe-{dataset}.png",
                      f"{dataset}: PSNR against network evaluations", "PSNR (dB)")
        ladder_fd = plot(nfe_ladder, ds_rows, "fd", out / f"nfe-fd-{dataset}.png",
                         f"{dataset}: fd (lower is better) against network evaluations", "fd")
        for path, caption in ((speed, "Speed vs quality"), (pd, "Perception vs distortion"),
                              (ladder, "Quality against network evaluations"),
                              (ladder_fd, "Realism against network evaluations")):
            if path:
                md += [f"### {caption}", "", f"![{caption}]({path.name})", ""]
        md += ["### Best method per budget of network evaluations", ""] + best_by_budget(rows, dataset) + ["",
               budget_sentence(rows, dataset), ""]
        md += tuning_section(ctx)
        x, _ = data.load_slice(dataset, "test", 0, n_grid, data_root)
        for task in dict.fromkeys(r["task"] for r in ds_rows):
            methods, slow = methods_by_cost(rows, dataset, task)
            if methods:
                path, reference = qualitative(dataset, task, methods, x, ctx, out, slow=[] if quick else slow)
                md += [f"### {task}: successes and failures", "", f"![{task}]({path.name})", ""]
            post = posterior_grid(dataset, task, x, ctx, out)
            if post:
                md += [f"![posterior {task}]({post.name})", ""]
        md += robustness.section(all_rows, dataset, data.SHAPES[dataset], ddpm_schedule(ctx.dataset, ctx.checkpoints),
                                 out, vector)
        if ctx.dataset != dataset:
            continue  # the models' own section shows their samples and the pixel-vs-latent comparison
        sample_grids = unconditional(dataset, ctx, out)
        md += latent_report.section(rows, dataset, ctx.checkpoints, out)
        for path in sample_grids:
            md += ["### Unconditional samples", "", f"![samples]({path.name})", ""]
    text = "\n".join(md) + "\n"
    write_text_atomic(out / "report.md", text)
    write_text_atomic(out / "report.html", markdown_to_html(text))
    return out / "report.md"


def markdown_to_html(text: str) -> str:
    """A small converter for the report's own Markdown (headings, tables, images, lists)."""
    body, table = [], []

    def flush():
        if table:
            cells = [[c.strip() for c in row.strip("|").split("|")] for row in table if not set(row) <= set("|-")]
            head, *rest = cells
            body.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>"
                        + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rest)
                        + "</table>")
            table.clear()
    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if m := re.match(r"(#+) (.*)", line):
            level = len(m.group(1))
            body.append(f"<h{level}>{html.escape(m.group(2))}</h{level}>")
        elif m := re.match(r"!\[(.*)\]\((.*)\)", line):
            body.append(f'<p><img src="{html.escape(m.group(2))}" alt="{html.escape(m.group(1))}"></p>')
        elif line.startswith("- "):
            body.append(f"<li>{html.escape(line[2:])}</li>")
        elif line.strip():
            body.append(f"<p>{html.escape(line)}</p>")
    flush()
    style = "body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse;font-size:12px}" \
            "td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}"
    return f"<!doctype html><html><head><meta charset='utf-8'><title>invdrift report</title><style>{style}</style>" \
           f"</head><body>{''.join(body)}</body></html>\n"


KEY_METHODS = ("regression", "drift-cond", "drift-cond-mean8", "drift-opt", "drift-cond-latent", "drift-opt-latent",
               "tweedie", "sdedit", "scoreald", "dps", "ddrm", "diffpir")
CLASSICAL = ("pinv", "bicubic", "wiener", "tikhonov")


def key_table(rows: list[dict], dataset: str) -> list[str]:
    """PSNR / fd per task: the best classical method and every generative or learned method present."""
    present = [m for m in KEY_METHODS if any(r["dataset"] == dataset and r["method"] == m for r in rows)]
    lines = ["| " + " | ".join(["task", "best classical", *present]) + " |", "|---|---|" + "---|" * len(present)]
    for task in operators.TASKS:
        cell = {r["method"]: r for r in rows if r["dataset"] == dataset and r["task"] == task}
        if not cell:
            continue
        classical = [cell[m] for m in CLASSICAL if m in cell]
        best = max(classical, key=lambda r: r["psnr"]) if classical else None

        def fmt(r):
            if r is None:
                return "—"
            return f"{r['psnr']:.2f} / {bench._fmt(r.get('fd'))}" + ("*" if r.get("n", 1000) < 1000 else "")
        first = f"{best['method']} {fmt(best)}" if best else "—"
        lines.append("| " + " | ".join([task, first, *(fmt(cell.get(m)) for m in present)]) + " |")
    return lines


def update_readme(readme: Path, report_md: Path, results: Path) -> None:
    """Replace the README block between the results markers with the report's key rows."""
    rows = bench.load_rows(results)
    lines = [README_START, "", f"Generated by `invdrift report` from `{results}/results.json` "
             "(PSNR dB / fd, seed 0, test images 0–999; entries marked * use fewer test images, n in the full "
             "table — their fd, estimated from fewer images, is biased upwards and not comparable with the "
             "others; full tables and figures in `report/report.md`).", ""]
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        lines += [f"**{dataset}**", ""] + key_table(rows, dataset) + [""]
    lines += [README_END]
    text = readme.read_text()
    if README_START in text and README_END in text:
        text = text[: text.index(README_START)] + "\n".join(lines) + text[text.index(README_END) + len(README_END):]
    else:
        text = text.rstrip() + "\n\n## Results\n\n" + "\n".join(lines) + "\n"
    write_text_atomic(readme, text)
