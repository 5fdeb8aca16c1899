"""The LaTeX bundle: escaping, ranked tables whose numbers are the results', compilation when TeX is present."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from invdrift import bench, latex, paper, report

PDFLATEX = shutil.which("pdflatex")


def _row(task, method, psnr, n=1000, **extra):
    return {"dataset": "mnist", "task": task, "method": method, "n": n, "offset": 0, "seed": 0, "psnr": psnr,
            "psnr_se": 0.1, "ssim": 0.5, "mse": 0.01, "consistency": 1.0, "fd": 10.0, "nfe": 1,
            "images_per_s": 100.0, "machine": "2 cores (1 thread used), AMD EPYC, no GPU"} | extra


def test_special_characters_are_escaped():
    assert latex.escape("drift-cond-mean8") == "drift-cond-mean8"
    assert latex.escape("dps:steps=100") == "dps:steps=100"
    assert latex.escape("inpaint_box 50% & $x$ #1 {a} ~ ^") == \
        r"inpaint\_box 50\% \& \$x\$ \#1 \{a\} \textasciitilde{} \textasciicircum{}"
    text = latex.escape("σ 0.05, ×4, ≥ 0.7, x̂₀ − ½, 24.4 ± 0.1, ‖y − A x‖, ᾱ_t, Aᵀ, 0–999 — ok")
    assert text.isascii() and r"$\hat{x}$$_0$" in text and r"$\sigma$" in text
    assert latex.inline("`drift-cond-mean8` is **best**") == r"\texttt{drift-cond-mean8} is \textbf{best}"


def test_ranks_mark_best_and_second():
    assert latex.ranks([20.0, 22.0, None, 21.0], True) == [0, 1, 0, 2]
    assert latex.ranks([5.0, 3.0, 3.0, 9.0], False) == [2, 1, 1, 0]


def test_a_tables_numbers_are_the_results():
    rows = [_row("sr4", "tikhonov", 14.123, nfe=0), _row("sr4", "drift-cond-mean8", 17.456, fd=4.0),
            _row("sr4", "dps:steps=100", 18.789, n=100, fd=2.0)]
    label, tex = paper.results_table(rows, "mnist", "sr4", standard_errors=True)
    assert label == "tab:mnist-sr4" and r"\toprule" in tex and r"\texttt{dps:steps=100}" in tex
    body = [line for line in tex.splitlines() if line.endswith(r"\\") and "texttt" in line]
    for line, row in zip(body, rows):
        cells = [re.sub(r"\\(textbf|underline)\{(.*)\}", r"\2", c.strip()) for c in line[:-2].split("&")]
        assert int(cells[1]) == row["n"]
        assert float(cells[2].split(r"\,")[0]) == round(row["psnr"], 2)
        assert float(cells[4]) == pytest.approx(row["fd"], rel=1e-3)
    assert r"\textbf{18.79\," in tex and r"\underline{17.46\," in tex  # PSNR: best bold, second underlined
    assert r"\textbf{4}" in tex and r"\textbf{2}" not in tex  # fd ranked among n = 1000 rows only
    assert "operator \\texttt{sr4:sigma=0.01}" in tex and "seed 0" in tex and "AMD EPYC" in tex


def _compile(tex: str, folder: Path) -> subprocess.CompletedProcess:
    document = "\n".join([r"\documentclass{article}", r"\usepackage{booktabs}", r"\usepackage{graphicx}",
                          r"\usepackage{amsmath}", r"\begin{document}", tex, r"\end{document}"])
    (folder / "t.tex").write_text(document)
    return subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=folder,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not on PATH: the tables are not compiled here")
def test_every_generated_table_compiles(tmp_path, data_root, shipped_subset):
    checkpoints = shipped_subset("classical-mnist", "classifier-mnist")
    results = tmp_path / "results"
    bench.bench(["mnist"], ["denoise", "inpaint_box", "deblur:std=2"], ["pinv", "wiener", "tikhonov"], n=8,
                out=results, data_root=data_root, checkpoints=checkpoints, progress=False)
    path = report.write_report(tmp_path / "report", results, data_root, checkpoints, n_grid=8, vector=True)
    main = paper.write_bundle(tmp_path / "paper", path.parent, results)
    tables = sorted((main.parent / "tables").glob("*.tex"))
    assert len(tables) >= 3 and (main.parent / "figures" / "speed-mnist.pdf").is_file()
    for table in tables:
        result = _compile(table.read_text(), tmp_path)
        assert result.returncode == 0, (table.name, result.stdout[-1500:])


def test_the_bundle_needs_no_tex(tmp_path, data_root, shipped_subset):
    checkpoints = shipped_subset("classical-mnist")
    results = tmp_path / "results"
    bench.bench(["mnist"], ["denoise"], ["pinv", "wiener"], n=4, out=results, data_root=data_root,
                checkpoints=checkpoints, progress=False)
    path = report.write_report(tmp_path / "report", results, data_root, checkpoints, n_grid=4, vector=True)
    main = paper.write_bundle(tmp_path / "paper", path.parent, results)
    text = main.read_text()
    assert text.startswith(r"\documentclass[twocolumn") and r"\input{tables/mnist-denoise}" in text
    assert r"\bibliography{refs}" in text and all(key in text for key in paper.PAPERS.values())
    assert "@article{deng2026drifting" in (main.parent / "refs.bib").read_text()
    assert "pdflatex" in (main.parent / "Makefile").read_text()
    assert text.isascii()
