"""The paper bundle: the report as a two-column LaTeX article (`invdrift report … --latex DIR`).

DIR gets `tables/*.tex` (one booktabs table each), `figures/` (plots as vector PDF, image grids as PNG,
colour ones reduced to 256 colours),
`main.tex` (standard `article` class, the report's sections in order, its computed sentences verbatim),
`refs.bib` (the methods' papers) and a `Makefile` (`make` builds main.pdf with pdflatex and bibtex).
Nothing here needs TeX; only `make` does.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from PIL import Image

from . import bench, operators
from .data import SHAPES
from .fileio import atomic_path, write_text_atomic
from .latex import booktabs, escape, inline, leading_number, marked, ranks

RESULT_COLUMNS = (("psnr", "PSNR", True), ("ssim", "SSIM", True), ("fd", "fd", False),
                  ("consistency", "consistency", None), ("nfe", "NFE", None), ("images_per_s", "img/s", True))
PAPERS = {  # method → BibTeX key of its paper
    "DDPM (the diffusion prior, ancestral sampling)": "ho2020ddpm", "DDIM sampling": "song2021ddim",
    "sdedit": "meng2022sdedit", "scoreald": "jalal2021robust", "dps": "chung2023dps", "ddrm": "kawar2022ddrm",
    "diffpir": "zhu2023diffpir", "drifting models (drift, drift-cond, drift-opt)": "deng2026drifting",
    "latent space (autoencoder, drift-latent)": "zheng2025rae"}
BIB = r"""@inproceedings{ho2020ddpm,
  title = {Denoising Diffusion Probabilistic Models},
  author = {Ho, Jonathan and Jain, Ajay and Abbeel, Pieter},
  booktitle = {Advances in Neural Information Processing Systems},
  year = {2020}
}
@inproceedings{song2021ddim,
  title = {Denoising Diffusion Implicit Models},
  author = {Song, Jiaming and Meng, Chenlin and Ermon, Stefano},
  booktitle = {International Conference on Learning Representations},
  year = {2021}
}
@inproceedings{meng2022sdedit,
  title = {{SDEdit}: Guided Image Synthesis and Editing with Stochastic Differential Equations},
  author = {Meng, Chenlin and He, Yutong and Song, Yang and Song, Jiaming and Wu, Jiajun and Zhu, Jun-Yan and Ermon, Stefano},
  booktitle = {International Conference on Learning Representations},
  year = {2022}
}
@inproceedings{jalal2021robust,
  title = {Robust Compressed Sensing {MRI} with Deep Generative Priors},
  author = {Jalal, Ajil and Arvinte, Marius and Daras, Giannis and Price, Eric and Dimakis, Alexandros G. and Tamir, Jonathan I.},
  booktitle = {Advances in Neural Information Processing Systems},
  year = {2021}
}
@inproceedings{chung2023dps,
  title = {Diffusion Posterior Sampling for General Noisy Inverse Problems},
  author = {Chung, Hyungjin and Kim, Jeongsol and Mccann, Michael T. and Klasky, Marc L. and Ye, Jong Chul},
  booktitle = {International Conference on Learning Representations},
  year = {2023}
}
@inproceedings{kawar2022ddrm,
  title = {Denoising Diffusion Restoration Models},
  author = {Kawar, Bahjat and Elad, Michael and Ermon, Stefano and Song, Jiaming},
  booktitle = {Advances in Neural Information Processing Systems},
  year = {2022}
}
@inproceedings{zhu2023diffpir,
  title = {Denoising Diffusion Models for Plug-and-Play Image Restoration},
  author = {Zhu, Yuanzhi and Zhang, Kai and Liang, Jingyun and Cao, Jiezhang and Wen, Bihan and Timofte, Radu and Van Gool, Luc},
  booktitle = {IEEE/CVF Conference on Computer Vision and Pattern Recognition Workshops},
  year = {2023}
}
@article{deng2026drifting,
  title = {Generative Modeling via Drifting},
  author = {Deng, Mingyang and Li, He and Li, Tianhong and Du, Yilun and He, Kaiming},
  journal = {arXiv preprint arXiv:2602.04770},
  year = {2026}
}
@article{zheng2025rae,
  title = {Diffusion Transformers with Representation Autoencoders},
  author = {Zheng, Boyang and Ma, Nanye and Tong, Shengbang and Xie, Saining},
  journal = {arXiv preprint arXiv:2510.11690},
  year = {2025}
}
"""
MAKEFILE = """# Build main.pdf (needs pdflatex and bibtex, e.g. Debian's texlive-latex-recommended).
main.pdf: main.tex refs.bib $(wildcard tables/*.tex) $(wildcard figures/*)
\tpdflatex -interaction=nonstopmode -halt-on-error main.tex
\tbibtex main
\tpdflatex -interaction=nonstopmode -halt-on-error main.tex
\tpdflatex -interaction=nonstopmode -halt-on-error main.tex

clean:
\trm -f main.aux main.bbl main.blg main.log main.out main.pdf
"""
FLOATS_PER_PAGE = 8
PREAMBLE = r"""\documentclass[twocolumn,10pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[T1]{fontenc}
\usepackage[margin=0.75in]{geometry}
\usepackage{booktabs}
\usepackage{graphicx}
\usepackage{amsmath}
\usepackage[hidelinks]{hyperref}
\usepackage{url}
\setlength{\tabcolsep}{4pt}
"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _protocol(rows: list[dict]) -> str:
    """Test slice, seed and operator of a table's rows, as caption text (LaTeX)."""
    sizes = sorted({r["n"] for r in rows})
    offsets = sorted({r.get("offset", 0) for r in rows})
    seeds = sorted({r.get("seed", 0) for r in rows})
    largest = max(sizes)
    fewer = ", rows with n below that use the first n" if len(sizes) > 1 else ""
    return (f"test images {offsets[0]}--{offsets[0] + largest - 1}{fewer}; seed {', '.join(map(str, seeds))}")


def _summary(rows: list[dict], dataset: str) -> str:
    """The protocol of a dataset's rows in one caption sentence (operators, slice, seed)."""
    mine = [r for r in rows if r["dataset"] == dataset]
    if not mine:
        return ""
    return (f"Protocol: {escape(dataset)}, v1 operators unless a task names parameters (e.g. "
            r"\texttt{deblur:std=2}), " + _protocol(mine) + ".")


def results_table(rows: list[dict], dataset: str, task: str, standard_errors: bool = False) -> tuple[str, str]:
    """(label, LaTeX table) of every method on one dataset and task: best value per column in bold,
    second underlined (fd ranked only among rows of the largest n, since it is biased at small n)."""
    cell = [r for r in rows if r["dataset"] == dataset and r["task"] == task]
    largest = max(r["n"] for r in cell)
    header = ["method", "n"] + [name for _, name, _ in RESULT_COLUMNS]
    columns = []
    for key, _, higher in RESULT_COLUMNS:
        values = [r.get(key) if isinstance(r.get(key), (int, float)) else None for r in cell]
        if key == "fd":
            values = [v if r["n"] == largest else None for v, r in zip(values, cell)]
        columns.append(ranks(values, higher) if higher is not None else [0] * len(cell))
    body = []
    for i, r in enumerate(cell):
        entries = [r"\texttt{" + escape(r["method"]) + "}", str(r["n"])]
        for (key, _, _), rank in zip(RESULT_COLUMNS, columns):
            value = r.get(key)
            text = escape(bench._fmt(value)) if not isinstance(value, float) else (
                f"{value:.2f}" if key == "psnr" else f"{value:.3f}" if key in ("ssim", "consistency") else
                escape(bench._fmt(value)))
            if key == "psnr" and standard_errors and isinstance(r.get("psnr_se"), float):
                text += rf"\,$\pm$\,{r['psnr_se']:.2f}"
            entries.append(marked(text, rank[i]))
        body.append(entries)
    operator = cell[0].get("operator") or (operators.make(task, SHAPES[dataset]).spec if dataset in SHAPES else task)
    machines = sorted({r.get("machine", "") for r in cell})
    caption = (f"{escape(dataset)}, {escape(task)}: operator \\texttt{{{escape(operator)}}}, {_protocol(cell)}. "
               f"Bold: best, underlined: second (fd among rows with n = {largest} only). "
               f"Timing (img/s): {escape('; '.join(machines))}.")
    label = f"tab:{_slug(dataset)}-{_slug(task)}"
    return label, booktabs(header, body, caption, label)


def markdown_table(lines: list[str], caption: str, label: str) -> str:
    """One of the report's Markdown tables as a booktabs table (cells converted, no ranking)."""
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines
             if not set(line.strip()) <= set("|-: ")]
    head, *body = cells
    return booktabs([inline(c) for c in head], [[inline(c) for c in row] for row in body], caption, label,
                    wide=len(head) > 6)


def figure(name: str, caption: str, label: str) -> str:
    return "\n".join([r"\begin{figure*}[t]", r"\centering", rf"\includegraphics[width=\textwidth]{{figures/{name}}}",
                      rf"\caption{{{caption}}}", rf"\label{{{label}}}", r"\end{figure*}", ""])


def write_bundle(out: Path, report_dir: Path, results: Path, standard_errors: bool = False) -> Path:
    """Write the bundle from report_dir/report.md (and its figures) and results/results.json."""
    rows = bench.load_rows(results)
    text = (report_dir / "report.md").read_text()
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    body: list[str] = []
    heading, hint, dataset, table, count, floats = "", "", "", [], 0, 0

    def add_float(tex: str) -> None:
        """Place a float; a page break every FLOATS_PER_PAGE floats keeps LaTeX's float queue short."""
        nonlocal floats
        body.append(tex)
        floats += 1
        if floats % FLOATS_PER_PAGE == 0:
            body.append(r"\clearpage")

    def flush_table() -> None:
        nonlocal count
        if not table:
            return
        if table[0].startswith("| task | method | n | psnr"):  # the report's full table → one ranked table per task
            for task in dict.fromkeys(r["task"] for r in rows if r["dataset"] == dataset and r["task"] in operators.TASKS):
                label, tex = results_table(rows, dataset, task, standard_errors)
                add_float(_input(out, label, tex))
        else:
            count += 1
            caption = hint or heading or "Results"
            label = f"tab:{_slug(dataset or 'report')}-{count}-{_slug(caption)[:30]}"
            add_float(_input(out, label, markdown_table(table, inline(caption) + " " + _summary(rows, dataset), label)))
        table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush_table()
        if line.startswith("# "):
            continue
        if line.strip():
            hint = line if line.startswith("**") else ""
        if m := re.match(r"(#{2,3}) (.*)", line):
            heading = m.group(2)
            if m.group(1) == "##":
                dataset = heading
                body.append(r"\clearpage" + "\n" + rf"\section{{{inline(heading)}}}")
            else:
                body.append(rf"\subsection{{{inline(heading)}}}")
        elif m := re.match(r"!\[(.*)\]\((.*)\)", line):
            name = _copy_figure(report_dir, out, m.group(2))
            if name:
                add_float(figure(name, inline(heading if m.group(1) in ("", heading) else m.group(1)),
                                 f"fig:{_slug(Path(name).stem)}"))
        elif line.startswith("- "):
            body.append(r"\begin{itemize}\item " + inline(line[2:]) + r"\end{itemize}")
        elif line.strip():
            body.append(inline(line) + "\n")
    flush_table()
    methods = ", ".join(rf"{escape(name)}~\cite{{{key}}}" for name, key in PAPERS.items())
    main = (PREAMBLE + r"\title{invdrift: image restoration with one-step drifting priors and diffusion posterior "
            r"sampling}" + "\n" + r"\date{}" + "\n" + r"\begin{document}" + "\n" + r"\maketitle" + "\n"
            + r"\section*{Methods and references}" + "\n" + methods + ".\n\n" + "\n".join(body) + "\n"
            + r"\bibliographystyle{plain}" + "\n" + r"\bibliography{refs}" + "\n" + r"\end{document}" + "\n")
    write_text_atomic(out / "main.tex", main)
    write_text_atomic(out / "refs.bib", BIB)
    write_text_atomic(out / "Makefile", MAKEFILE)
    return out / "main.tex"


def _input(out: Path, label: str, tex: str) -> str:
    name = label.removeprefix("tab:")
    write_text_atomic(out / "tables" / f"{name}.tex", tex)
    return rf"\input{{tables/{name}}}"


def _copy_figure(report_dir: Path, out: Path, name: str) -> str | None:
    """Copy a report figure into the bundle: the PDF version of a plot if there is one, else the PNG."""
    source = report_dir / name
    vector = source.with_suffix(".pdf")
    chosen = vector if vector.is_file() else source
    if not chosen.is_file():
        return None
    target = out / "figures" / chosen.name
    if chosen.suffix == ".png":
        with Image.open(chosen) as image:  # colour grids as 256-colour PNGs: about 2.5× smaller in the PDF
            palette = image.convert("RGB").quantize(256, dither=Image.Dither.NONE) if image.mode == "RGB" else image
            with atomic_path(target) as tmp:
                palette.save(tmp, format="PNG", optimize=True)
    else:
        shutil.copyfile(chosen, target)
    return chosen.name
