"""The report: key table and pixel-vs-latent table from rows, and a full report from shipped classical weights."""

from pathlib import Path

from invdrift import bench, latent_report, report

ROOT = Path(__file__).resolve().parents[1]


def _row(task, method, psnr, n=1000, **extra):
    return {"dataset": "mnist", "task": task, "method": method, "n": n, "psnr": psnr, "ssim": 0.5, "fd": 10.0,
            "images_per_s": 100.0, "nfe": 1} | extra


def test_key_table_marks_rows_on_fewer_images():
    rows = [_row("deblur", "wiener", 18.9), _row("deblur", "tikhonov", 18.5), _row("deblur", "dps", 20.1, n=200),
            _row("deblur", "drift-cond", 19.5)]
    lines = report.key_table(rows, "mnist")
    assert lines[0] == "| task | best classical | drift-cond | dps |"
    assert lines[2] == "| deblur | wiener 18.90 / 10 | 19.50 / 10 | 20.10 / 10* |"


def test_latent_comparison_puts_pixel_and_latent_side_by_side(tmp_path):
    rows = [_row("sr4", "drift-cond", 17.0), _row("sr4", "drift-cond-latent", 16.0), _row("sr4", "drift-opt", 15.0)]
    lines = latent_report.latent_comparison(rows, "mnist", tmp_path)
    assert [line.split("|")[2:4] for line in lines[2:]] == [[" drift-cond ", " pixel "],
                                                           [" drift-cond-latent ", " latent "]]
    assert lines[2].endswith("| — |")  # no weights in tmp_path: training time unknown
    assert latent_report.latent_comparison(rows[:1], "mnist", tmp_path) == []


def test_training_time_counts_warm_start_chains_and_marks_records_that_do_not(tmp_path):
    from invdrift.checkpoint import write_config

    write_config(tmp_path / "drift-cond-mnist.safetensors", {"train_seconds": 600.0, "lineage_seconds": 6000.0})
    (tmp_path / "drift-cond-mnist.safetensors").write_bytes(b"")
    assert latent_report.train_seconds("drift-cond", "mnist", tmp_path) == (6000.0, True)
    write_config(tmp_path / "drift-cond-latent-mnist.safetensors", {"train_seconds": 120.0})
    write_config(tmp_path / "autoencoder-mnist.safetensors", {"train_seconds": 60.0, "lineage_seconds": 60.0})
    for name in ("drift-cond-latent-mnist", "autoencoder-mnist"):
        (tmp_path / f"{name}.safetensors").write_bytes(b"")
    assert latent_report.train_seconds("drift-cond-latent", "mnist", tmp_path) == (180.0, False)
    rows = [_row("sr4", "drift-cond", 17.0), _row("sr4", "drift-cond-latent", 16.0)]
    lines = latent_report.latent_comparison(rows, "mnist", tmp_path)
    assert lines[2].endswith("| 100 |") and lines[3].endswith("| ≥3 |")
    (line,) = latent_report.conclusion(rows, "mnist", tmp_path)
    assert line.endswith("training ≥3 min (autoencoder included) against 100 min, runs the weights were "
                         "warm-started from included (≥: some records do not hold them).")


def test_latent_conclusion_is_computed_from_rows_of_equal_n(tmp_path):
    rows = [_row("sr4", "drift-cond", 17.0, fd=20.0, images_per_s=100.0),
            _row("sr4", "drift-cond-latent", 18.0, fd=10.0, images_per_s=300.0),
            _row("deblur", "drift-cond", 20.0, fd=5.0, images_per_s=100.0),
            _row("deblur", "drift-cond-latent", 19.0, fd=8.0, images_per_s=100.0),
            _row("sr2", "drift-cond", 30.0), _row("sr2", "drift-cond-latent", 10.0, n=50)]  # unequal n: left out
    summary = latent_report.pair_summary(rows, "mnist", "drift-cond", "drift-cond-latent")
    assert summary["tasks"] == 2 and summary["psnr_wins"] == 1 and summary["fd_wins"] == 1
    assert abs(summary["psnr_delta"]) < 1e-12 and summary["speed_ratio"] == 2.0
    (line,) = latent_report.conclusion(rows, "mnist", tmp_path)
    assert "higher PSNR on 1 of 2 tasks (mean difference +0.00 dB)" in line and "2.00× the images/s" in line
    assert latent_report.pair_summary(rows, "mnist", "drift-opt", "drift-opt-latent") is None
    rows += [_row("sr4", "drift-opt", 15.0, n=200), _row("sr4", "drift-opt-latent", 16.0, n=32)]
    assert latent_report.conclusion(rows, "mnist", tmp_path)[1] == (
        "- `drift-opt-latent` (n = 32) vs `drift-opt` (n = 200): not compared, no task has both rows "
        "on the same test images.")


def test_report_from_classical_rows(tmp_path, data_root, shipped_subset):
    checkpoints = shipped_subset("classical-mnist", "classifier-mnist")
    results = tmp_path / "results"
    bench.bench(["mnist"], ["denoise", "inpaint_box"], ["pinv", "wiener", "tikhonov"], n=16, offset=0, seed=0,
                out=results, data_root=data_root, checkpoints=checkpoints, progress=False)
    path = report.write_report(tmp_path / "report", results, data_root, checkpoints, n_grid=16)
    text = path.read_text()
    assert "| denoise | wiener | 16 |" in text and "### inpaint_box: successes and failures" in text
    for image in ("grid-mnist-denoise.png", "grid-mnist-inpaint_box.png", "speed-mnist.png", "perception-mnist.png",
                  "nfe-mnist.png", "nfe-fd-mnist.png"):
        assert (path.parent / image).is_file() and f"({image})" in text
    assert "<table>" in (path.parent / "report.html").read_text()
    readme = tmp_path / "README.md"
    readme.write_text("# x\n")
    report.update_readme(readme, path, results)
    assert "| denoise | wiener" in readme.read_text() and report.README_END in readme.read_text()


def test_best_per_budget_of_network_evaluations():
    rows = [_row("sr4", "tikhonov", 14.0, nfe=0), _row("sr4", "regression", 17.0), _row("sr4", "drift-cond", 16.0),
            _row("sr4", "ddrm", 16.5, nfe=20), _row("sr4", "dps:steps=100", 18.0, n=100, nfe=200),
            _row("sr4", "dps", 19.0, n=100, nfe=2000)]
    lines = report.best_by_budget(rows, "mnist")
    assert lines[2] == ("| sr4 | `tikhonov` 14.00 | `regression` 17.00 | `ddrm` 16.50 | `dps:steps=100` 18.00* "
                        "| `dps` 19.00* |")
    rows += [_row("deblur", "regression", 20.0), _row("deblur", "ddrm", 21.0, nfe=20), _row("deblur", "wiener", 18.0, nfe=0)]
    assert report.budget_sentence(rows, "mnist") == (
        "Best PSNR per budget of network evaluations: at 1 NFE `regression` (2 of 2 tasks); at 2–30 NFE `ddrm` "
        "(2 of 2 tasks); at 31–300 NFE `dps:steps=100` (1 of 1 tasks); at over 300 NFE `dps` (1 of 1 tasks).")


def test_ladder_plot_draws_one_line_per_method(tmp_path, monkeypatch):
    from invdrift import plots

    drawn = []
    import matplotlib.axes

    original = matplotlib.axes.Axes.plot
    monkeypatch.setattr(matplotlib.axes.Axes, "plot", lambda self, xs, ys, **kw: drawn.append((list(xs), list(ys)))
                        or original(self, xs, ys, **kw))
    rows = [_row("sr4", "dps:steps=100", 18.0, nfe=200), _row("sr4", "dps", 19.0, nfe=2000),
            _row("sr4", "dps:steps=10", 15.0, nfe=20), _row("sr4", "regression", 17.0)]
    assert plots.nfe_ladder(rows, "psnr", tmp_path / "ladder.png", "t", "PSNR").is_file()
    assert drawn == [([20, 200, 2000], [15.0, 18.0, 19.0])]  # the dps ladder sorted by cost; a single point has no line


def test_methods_split_by_cost():
    rows = [_row("deblur", "wiener", 18.9, nfe=0), _row("deblur", "drift-cond", 19.5, nfe=1),
            _row("deblur", "dps", 20.1, nfe=2000), _row("deblur", "not-a-method", 1.0), _row("sr2", "pinv", 9.0)]
    assert report.methods_by_cost(rows, "mnist", "deblur") == (["wiener", "drift-cond"], ["dps"])


def test_slow_methods_are_pictured_on_the_picked_images_only(tmp_path, data_root, monkeypatch):
    from PIL import Image

    from invdrift import data
    from invdrift.solvers.base import Context

    calls = []
    original = report._restore

    def counting(name, ctx, y, op):
        calls.append((name, len(y)))
        return original(name, ctx, y, op)
    monkeypatch.setattr(report, "_restore", counting)
    x, _ = data.load_slice("mnist", "test", 0, 12, data_root)
    ctx = Context("mnist", data_root, ROOT / "checkpoints")
    quick, _ = report.qualitative("mnist", "sr4", ["pinv"], x, ctx, tmp_path / "a", count=2)
    with_slow, _ = report.qualitative("mnist", "sr4", ["pinv"], x, ctx, tmp_path / "b", count=2, slow=["drift-opt"])
    assert calls == [("pinv", 12), ("pinv", 12), ("drift-opt", 4)]
    assert Image.open(with_slow).height > Image.open(quick).height


def test_out_of_distribution_rows_sit_beside_the_models_own():
    rows = [_row("sr4", "regression", 17.0), _row("sr4", "tikhonov", 14.0),
            _row("sr4", "regression", 12.5) | {"dataset": "fashion-mnist"},
            _row("sr4", "tikhonov", 13.0, n=100) | {"dataset": "fashion-mnist"}]
    lines = report.beside(rows, "fashion-mnist", "mnist")
    assert lines[2] == "| sr4 | regression | 12.50 / 10 | 17.00 / 10 | -4.50 |" and len(lines) == 5  # unequal n left out
