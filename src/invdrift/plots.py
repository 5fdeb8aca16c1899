"""Report plots: speed vs quality, perception vs distortion, quality vs network evaluations (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

from .fileio import atomic_path


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    """Write the figure in the format its suffix names: .png (raster) or .pdf (vector)."""
    fmt = path.suffix.lstrip(".").lower()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=110 if fmt == "png" else None, bbox_inches="tight")
    return path


def scatter_by_task(rows: list[dict], x_key: str, y_key: str, path: Path, title: str, log_x: bool,
                    x_label: str, y_label: str) -> Path | None:
    """One panel per task; one marker per method, labelled."""
    rows = [r for r in rows if isinstance(r.get(x_key), (int, float)) and isinstance(r.get(y_key), (int, float))
            and r[x_key] > 0]
    if not rows:
        return None
    plt = _figure()
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    methods = list(dict.fromkeys(r["method"] for r in rows))
    palette = plt.get_cmap("tab20")
    colour = {m: palette(i % 20) for i, m in enumerate(methods)}  # one colour per method in every panel
    cols = min(3, len(tasks))
    nrows = (len(tasks) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.4 * nrows), squeeze=False)
    for ax, task in zip(axes.flat, tasks):
        for r in (r for r in rows if r["task"] == task):
            ax.scatter(r[x_key], r[y_key], s=28, color=colour[r["method"]])
            ax.annotate(r["method"], (r[x_key], r[y_key]), fontsize=7, xytext=(3, 3), textcoords="offset points")
        if log_x:
            ax.set_xscale("log")
        ax.set_title(task, fontsize=9)
        ax.set_xlabel(x_label, fontsize=8)
        ax.set_ylabel(y_label, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(tasks):]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    out = _save(fig, path)
    plt.close(fig)
    return out


def base_method(name: str) -> str:
    """'dps:steps=50' → 'dps'."""
    return name.partition(":")[0]


def nfe_ladder(rows: list[dict], y_key: str, path: Path, title: str, y_label: str) -> Path | None:
    """One panel per task: `y_key` against network evaluations on a symmetric-log axis (0 for classical
    methods). Rows of one method at several step counts (`dps`, `dps:steps=50`, …) form a line; rows on
    fewer than 1000 images are drawn hollow."""
    rows = [r for r in rows if isinstance(r.get(y_key), (int, float)) and isinstance(r.get("nfe"), (int, float))]
    if not rows:
        return None
    plt = _figure()
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    methods = list(dict.fromkeys(base_method(r["method"]) for r in rows))
    palette = plt.get_cmap("tab20")
    colour = {m: palette(i % 20) for i, m in enumerate(methods)}
    cols = min(3, len(tasks))
    nrows = (len(tasks) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.6 * cols, 3.6 * nrows), squeeze=False)
    for ax, task in zip(axes.flat, tasks):
        for method in methods:
            line = sorted((r for r in rows if r["task"] == task and base_method(r["method"]) == method),
                          key=lambda r: r["nfe"])
            if not line:
                continue
            xs, ys = [r["nfe"] for r in line], [r[y_key] for r in line]
            if len(line) > 1:
                ax.plot(xs, ys, color=colour[method], lw=1.2)
            for r in line:
                full = r.get("n", 1000) >= 1000
                ax.scatter(r["nfe"], r[y_key], s=26, color=colour[method] if full else "none",
                           edgecolors=colour[method], zorder=3)
            ax.annotate(method, (xs[-1], ys[-1]), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlim(left=0)
        ax.set_title(task, fontsize=9)
        ax.set_xlabel("network evaluations per image (0 = classical)", fontsize=8)
        ax.set_ylabel(y_label, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(tasks):]:
        ax.axis("off")
    fig.suptitle(title + " (hollow: fewer than 1000 test images)", fontsize=10)
    fig.tight_layout()
    out = _save(fig, path)
    plt.close(fig)
    return out


def parameter_lines(groups: dict[tuple[str, str], list[dict]], v1: dict[tuple[str, str], float], path: Path,
                    title: str) -> Path | None:
    """One panel per (task, moved parameter): PSNR against the parameter, one line per method; a dotted
    vertical line at the v1 value; rows on fewer than 1000 images hollow."""
    if not groups:
        return None
    plt = _figure()
    methods = list(dict.fromkeys(m["method"] for members in groups.values() for m in members))
    palette = plt.get_cmap("tab20")
    colour = {m: palette(i % 20) for i, m in enumerate(methods)}
    keys = sorted(groups)
    cols = min(3, len(keys))
    nrows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.6 * cols, 3.6 * nrows), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        for method in methods:
            line = sorted((m for m in groups[key] if m["method"] == method), key=lambda m: m["value"])
            if not line:
                continue
            ax.plot([m["value"] for m in line], [m["psnr"] for m in line], color=colour[method], lw=1.2,
                    label=method)
            for m in line:
                full = m.get("n", 1000) >= 1000
                ax.scatter(m["value"], m["psnr"], s=20, color=colour[method] if full else "none",
                           edgecolors=colour[method], zorder=3)
        ax.axvline(v1[key], color="grey", ls=":", lw=1)
        if key[1] == "sigma":  # noise levels span decades (up to the DDPM's t = 900)
            ax.set_xscale("log")
        ax.set_title(f"{key[0]}: {key[1]} moved (dotted: v1)", fontsize=9)
        ax.set_xlabel(key[1], fontsize=8)
        ax.set_ylabel("PSNR (dB)", fontsize=8)
        ax.grid(alpha=0.3)
    legend = {}  # every method once, whichever panel it appears in
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    handles, labels = list(legend.values()), list(legend)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=7, frameon=False)
    fig.suptitle(title + " (hollow: fewer than 1000 test images)", fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    out = _save(fig, path)
    plt.close(fig)
    return out
