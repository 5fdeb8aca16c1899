import json
import subprocess
import sys

import pytest

from invdrift import cli


def run_cli(args, capsys):
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("args, message", [
    (["bench", "--task", "colorize"], "unknown task"),
    (["bench", "--dataset", "imagenet"], "unknown dataset"),
    (["bench", "--methods", "magic"], "unknown method"),
    (["bench", "--task", "denoise", "--methods", "bicubic"], "applies"),
    (["bench", "--n", "20000"], "outside"),
    (["bench", "--threads", "0"], "--threads"),
    (["train", "nonsense"], "unknown model kind"),
    (["train", "classifier", "--set", "bogus=1"], "unknown setting"),
    (["train", "drift-cond", "--set", "beta=abc"], "beta 'abc': must be a finite number"),
    (["train", "regression", "--set", "lr=NaN"], "lr nan: must be a finite number"),
    (["train", "drift-cond", "--set", "samples_per_y=2.5"], "samples_per_y 2.5: must be a whole number"),
    (["train", "regression", "--set", "bf16=1"], "bf16 1: use true or false"),
    (["train", "regression", "--set", "betas=0.9"], "betas 0.9: must be a list"),
    (["train", "regression", "--steps", "0"], "--steps: must be at least 1, got 0"),
    (["train", "regression", "--set", "batch_size=0"], "batch_size 0: must be at least 1"),
    (["bench", "--n", "0"], "--n: must be at least 1, got 0"),
    (["bench", "--batch-size", "0"], "--batch-size: must be at least 1, got 0"),
    (["speed", "--methods", "pinv", "--repeats", "0"], "--repeats: must be at least 1, got 0"),
    (["sample", "--model", "ddpm", "--check"], "one-step generator"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(args, message, capsys, tmp_path, data_root):
    out = tmp_path / "out"
    code, _, err = run_cli(args + ["--out", str(out), "--data-root", str(data_root)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("invdrift: error:") and message in err
    assert not out.exists()


def test_missing_data_is_a_clear_error(capsys, offline):
    code, _, err = run_cli(["bench", "--task", "denoise", "--out", str(offline / "o")], capsys)
    assert code == 2 and "--data-root" in err and err.count("\n") == 1
    assert not (offline / "o").exists()


def test_bench_writes_the_protocol_columns(capsys, tmp_path, data_root):
    out = tmp_path / "res"
    code, stdout, _ = run_cli(["bench", "--dataset", "mnist", "--task", "denoise,sr2", "--methods", "classical",
                               "--n", "20", "--out", str(out), "--data-root", str(data_root)], capsys)
    assert code == 0
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert {(r["task"], r["method"]) for r in rows} == {
        ("denoise", "pinv"), ("denoise", "wiener"), ("denoise", "tikhonov"),
        ("sr2", "pinv"), ("sr2", "bicubic"), ("sr2", "tikhonov")}
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    assert header == ["dataset", "task", "method", "n", "psnr", "psnr_se", "ssim", "mse", "consistency", "fd",
                      "lpips", "nfe", "s_per_image", "images_per_s", "samples", "psnr_1", "psnr_mean",
                      "range_coverage", "sample_std", "spread_skill", "checkpoint", "machine", "operator", "in_training",
                      "precision"]
    assert "| mnist | denoise | wiener |" in (out / "results.md").read_text()
    # a second run merges rows instead of discarding the first
    run_cli(["bench", "--dataset", "mnist", "--task", "deblur", "--methods", "pinv", "--n", "20",
             "--out", str(out), "--data-root", str(data_root)], capsys)
    assert len(json.loads((out / "results.json").read_text())["rows"]) == 7


def test_console_entry_point_help():
    result = subprocess.run([sys.executable, "-m", "invdrift", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "bench" in result.stdout and "train" in result.stdout


def test_speed_reports_ratios_in_one_run(capsys, data_root):
    from invdrift.speed import measure_speed

    rows = measure_speed("mnist", "denoise", ["pinv", "wiener@8"], n=32, repeats=1, data_root=data_root)
    assert [r["method"] for r in rows] == ["pinv", "wiener@8"] and rows[0]["ratio_to_first"] == 1.0
    assert all(r["images_per_s"] > 0 for r in rows) and [r["n"] for r in rows] == [32, 8]
    rows = measure_speed("mnist", "denoise", ["regression", "pinv@8"], n=16, repeats=1, data_root=data_root,
                         bf16=True)
    assert [r["method"] for r in rows] == ["regression", "regression bf16", "pinv@8", "pinv@8 bf16"]
    assert [r["n"] for r in rows] == [16, 16, 8, 8]
    code, _, err = run_cli(["speed", "--methods", "pinv,wiener@x", "--data-root", str(data_root)], capsys)
    assert code == 2 and "positive integer" in err
    code, _, err = run_cli(["speed", "--methods", "gen:nothing", "--data-root", str(data_root)], capsys)
    assert code == 2 and "unknown method" in err


def test_bench_threads_are_named_in_the_machine_column(capsys, tmp_path, data_root, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    out = tmp_path / "res"
    code, _, _ = run_cli(["bench", "--dataset", "mnist", "--task", "denoise", "--methods", "pinv", "--n", "8",
                          "--threads", "1", "--out", str(out), "--data-root", str(data_root)], capsys)
    assert code == 0
    (row,) = json.loads((out / "results.json").read_text())["rows"]
    assert row["machine"].startswith("4 cores (1 thread used), ")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    code, _, _ = run_cli(["bench", "--dataset", "mnist", "--task", "denoise", "--methods", "pinv", "--n", "8",
                          "--out", str(out), "--data-root", str(data_root)], capsys)
    (row,) = json.loads((out / "results.json").read_text())["rows"]
    assert row["machine"].startswith("4 cores, ")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # as speed: the environment's thread count when none is asked for
    code, _, _ = run_cli(["bench", "--dataset", "mnist", "--task", "denoise", "--methods", "pinv", "--n", "8",
                          "--out", str(out), "--data-root", str(data_root)], capsys)
    (row,) = json.loads((out / "results.json").read_text())["rows"]
    assert row["machine"].startswith("4 cores (2 threads used), ")


def test_merge_combines_bench_folders_and_refuses_an_empty_one(capsys, tmp_path, data_root):
    common = ["--dataset", "mnist", "--n", "8", "--data-root", str(data_root)]
    assert run_cli(["bench", "--task", "denoise", "--methods", "pinv", "--out", str(tmp_path / "a")] + common, capsys)[0] == 0
    assert run_cli(["bench", "--task", "sr2,denoise", "--methods", "bicubic,pinv", "--out", str(tmp_path / "b")]
                   + common, capsys)[0] == 0
    code, out, _ = run_cli(["merge", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "all")], capsys)
    assert code == 0 and "4 rows merged" in out
    rows = json.loads((tmp_path / "all" / "results.json").read_text())["rows"]
    assert sorted((r["task"], r["method"]) for r in rows) == [("denoise", "pinv"), ("sr2", "bicubic"), ("sr2", "pinv")]
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(["merge", str(tmp_path / "empty"), "--out", str(tmp_path / "all")], capsys)
    assert code == 2 and "no results in" in err


def test_help_shows_defaults_and_choices_and_every_command_has_a_description(capsys):
    for command, needles in {"restore": ["default: tikhonov", "default: mnist", "default: 0", "deblur: Gaussian"],
                             "sample": ["default: 64", "default: samples.png", "default: 0"],
                             "speed": ["default: 3", "--threads"], "data": ["fashion-mnist"]}.items():
        code, out, _ = run_cli([command, "--help"], capsys)
        assert code == 0, command
        text = " ".join(out.split())
        assert all(n in text for n in needles), (command, [n for n in needles if n not in text])
        description = out.split("\n\n")[1]
        assert not description.startswith(("positional", "options")), command
    code, out, _ = run_cli(["--version"], capsys)
    assert code == 0 and out.startswith("invdrift ")


@pytest.mark.parametrize("out_name, error", [("grid.jpg", None), ("folder/", None), ("grid.gif", "extension"),
                                             ("grid", "extension")])
def test_sample_respects_the_output_extension_or_refuses_it(out_name, error, tmp_path, capsys):
    target = str(tmp_path / out_name) + ("/" if out_name.endswith("/") else "")
    code, stdout, err = run_cli(["sample", "--model", "drift", "--n", "4", "--out", target], capsys)
    if error:
        assert code == 2 and error in err and err.count("\n") == 1
        assert not any(tmp_path.iterdir())
        return
    assert code == 0, err
    written = tmp_path / "folder" / "samples-drift-mnist.png" if out_name.endswith("/") else tmp_path / out_name
    header = written.read_bytes()[:4]
    assert header == (b"\x89PNG" if written.suffix == ".png" else b"\xff\xd8\xff\xe0"[:4]) or \
        (written.suffix == ".jpg" and header[:3] == b"\xff\xd8\xff")


def test_sample_refuses_a_sampler_for_a_one_step_model(capsys, tmp_path):
    code, _, err = run_cli(["sample", "--model", "drift", "--sampler", "ddim50", "--out", str(tmp_path / "a.png")],
                           capsys)
    assert code == 2 and "--sampler applies to ddpm only" in err and not (tmp_path / "a.png").exists()


def test_speed_takes_threads(capsys, data_root, monkeypatch):
    from invdrift.speed import measure_speed

    monkeypatch.setattr("os.cpu_count", lambda: 4)
    rows = measure_speed("mnist", "denoise", ["pinv"], n=8, repeats=1, data_root=data_root, threads=1)
    assert rows[0]["machine"].startswith("4 cores (1 thread used)")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    rows = measure_speed("mnist", "denoise", ["pinv"], n=8, repeats=1, data_root=data_root)
    assert rows[0]["machine"].startswith("4 cores (2 threads used)")


def test_readme_python_example_runs_from_another_directory(tmp_path):
    """The README's example finds the shipped weights without being run from the repository root."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    env = {k: v for k, v in __import__("os").environ.items() if k != "INVDRIFT_CHECKPOINTS"}
    env["INVDRIFT_OFFLINE"] = "1"
    env["INVDRIFT_CACHE"] = str(tmp_path / "cache")
    env.pop("INVDRIFT_DATA", None)
    result = subprocess.run([sys.executable, "-c", example + "\nprint('shape', tuple(x_hat.shape))"],
                            cwd=tmp_path, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "shape (" in result.stdout


def test_method_parameters_parse_and_are_checked():
    from invdrift.errors import InvdriftError
    from invdrift.solvers import registry

    assert registry.resolve("ddrm:steps=50,eta=0.5,dps,diffpir:steps=10") == [
        "ddrm:steps=50,eta=0.5", "dps", "diffpir:steps=10"]
    assert registry.split_method("ddrm:steps=50,eta=0.5") == ("ddrm", {"steps": 50, "eta": 0.5})
    assert registry.split_method("dps:clamp=true,zeta=0.1") == ("dps", {"clamp": 1, "zeta": 0.1})
    assert registry.split_method("sdedit:t=250") == ("sdedit", {"t_start": 250})
    assert registry.split_method("diffpir:steps=20,lambda=7") == ("diffpir", {"steps": 20, "lam": 7.0})
    for bad, words in [("ddrm:gamma=1", "unknown parameter"), ("ddrm:steps=x", "must be a whole number"),
                       ("dps:clamp=2", "clamp must be 0 or 1"), ("ddrm:eta=2", r"eta must be a number in \[0, 1\]"),
                       ("diffpir:zeta=-0.1", r"zeta must be a number in \[0, 1\]"),
                       ("scoreald:weight=nan", "weight must be a finite number"),
                       ("drift-cond:noise_scale=inf", "noise_scale must be a finite number"),
                       ("sdedit:t=1000", "t_start=1000 is out of range"),
                       ("ddrm:steps=0", "out of range"), ("wiener:steps=3", "unknown parameter"),
                       ("nothing:steps=3", "unknown method")]:
        with pytest.raises(InvdriftError, match=words):
            registry.resolve(bad)


def test_progress_bars_are_quiet_when_piped(tmp_path):
    """A long command piped to a file prints its result line only (bars are for terminals)."""
    result = subprocess.run([sys.executable, "-m", "invdrift", "sample", "--model", "ddpm", "--sampler", "ddim50",
                             "--n", "1", "--out", str(tmp_path / "one.png")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-1000:]
    assert "%|" not in result.stderr and "samples of ddpm-mnist" in result.stdout


def test_progress_helper_shows_a_bar_on_a_terminal(monkeypatch):
    import io

    from invdrift.progress import progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    assert list(progress(range(3), "work")) == [0, 1, 2]
    assert "work" in screen.getvalue()


def test_a_group_skips_methods_whose_weights_are_not_shipped(capsys, tmp_path, data_root):
    out = tmp_path / "res"
    code, stdout, _ = run_cli(["bench", "--dataset", "cifar10", "--task", "sr4", "--methods", "pinv,family",
                               "--n", "4", "--out", str(out), "--data-root", str(data_root),
                               "--checkpoints", str(tmp_path / "empty")], capsys)
    assert code == 0 and "drift-cond-family: skipped, no drift-cond-family-cifar10.safetensors" in stdout
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["method"] for r in rows] == ["pinv"]
    code, _, err = run_cli(["bench", "--dataset", "cifar10", "--task", "sr4", "--methods", "drift-cond-family",
                            "--n", "4", "--out", str(tmp_path / "named"), "--data-root", str(data_root),
                            "--checkpoints", str(tmp_path / "empty")], capsys)
    assert code == 2 and "drift-cond-family-cifar10.safetensors" in err  # named explicitly: a clear error


@pytest.mark.parametrize("native, warned", [(False, True), (True, False)])
def test_bf16_on_a_cpu_that_only_emulates_it_warns_in_one_line(native, warned, monkeypatch, capsys):
    from invdrift import precision

    monkeypatch.setattr(precision, "native_bf16", lambda: native)
    precision._warn_emulated.cache_clear()
    precision.warn_if_emulated(True)
    precision.warn_if_emulated(True)  # once per process
    precision.warn_if_emulated(False)
    err = capsys.readouterr().err
    assert err.count("\n") == int(warned) and ("no native bf16" in err) == warned


def test_bad_input_with_bf16_is_still_one_error_line(monkeypatch, capsys, tmp_path):
    from invdrift import precision

    monkeypatch.setattr(precision, "native_bf16", lambda: False)
    code, _, err = run_cli(["bench", "--bf16", "--task", "colorize", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and err.count("\n") == 1 and "unknown task" in err


def test_recorded_train_command_can_be_typed_again():
    """A setting with brackets and quotes is recorded so that a shell gives back the same arguments."""
    import shlex

    argv = ["train", "drift-cond", "--set", 'tasks=["denoise","inpaint_box"]', "--set", "temperatures=[0.01,0.05]",
            "--steps", "10"]
    recorded = cli.recorded_command(argv)
    assert shlex.split(recorded) == ["invdrift", *argv]
    assert recorded.startswith("invdrift train drift-cond --set 'tasks=")
