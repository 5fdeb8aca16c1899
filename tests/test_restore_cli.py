"""`invdrift restore`: normal use, and every bad input → one line, exit 2, nothing written."""

import numpy as np
import pytest
from PIL import Image

from invdrift import cli, data


@pytest.fixture
def digits(tmp_path):
    folder = tmp_path / "digits"
    folder.mkdir()
    x, _ = data.samples("mnist")
    for i in range(3):
        Image.fromarray((x[i, 0].numpy() * 255).round().astype(np.uint8)).save(folder / f"d{i}.png")
    return folder


def run(args, capsys):
    code = cli.main(["restore", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_restore_simulated_and_measured(digits, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, _ = run(["--task", "deblur", "--in", str(digits), "--out", str(out), "--method", "wiener",
                           "--simulate"], capsys)
    assert code == 0 and "PSNR" in stdout and "wiener on mnist" in stdout
    per_image = [f"d{i}{suffix}" for i in range(3)
                 for suffix in (".png", "_measured.npy", "_measured.png", "_pinv.png")]
    assert sorted(p.name for p in out.iterdir()) == sorted(per_image + ["metrics.csv"])
    assert f"wrote {len(per_image) + 1} file(s)" in stdout
    # restoring the measured images as measurements also works (same size for deblur)
    measured = tmp_path / "measured"
    measured.mkdir()
    for p in out.glob("*_measured.png"):
        p.rename(measured / p.name)
    code, _, _ = run(["--task", "deblur", "--in", str(measured), "--out", str(tmp_path / "again")], capsys)
    assert code == 0 and len(list((tmp_path / "again").iterdir())) == 4  # 3 images + metrics.csv


@pytest.mark.parametrize("task", ["sr2", "inpaint_random"])
def test_simulate_then_restore_round_trips_through_the_measurement(task, digits, tmp_path, capsys):
    """NAME_measured.npy is the real y (H/2 for sr2): fed back, it restores to the same image."""
    out = tmp_path / "sim"
    code, _, _ = run(["--task", task, "--in", str(digits / "d0.png"), "--out", str(out), "--method", "tikhonov",
                      "--simulate"], capsys)
    assert code == 0
    y = np.load(out / "d0_measured.npy")
    assert y.shape == ((1, 14, 14) if task == "sr2" else (1, 28, 28))
    extra = ["--mask", str(out / "d0_mask.png")] if task == "inpaint_random" else []
    code, _, err = run(["--task", task, "--in", str(out / "d0_measured.npy"), "--out", str(tmp_path / "back"),
                        "--method", "tikhonov", *extra], capsys)
    assert code == 0, err
    first = np.asarray(Image.open(out / "d0.png"), np.float64)
    again = np.asarray(Image.open(tmp_path / "back" / "d0_measured.png"), np.float64)
    assert np.abs(first - again).max() <= 1.0


def test_metrics_csv_per_image_and_per_sample(digits, tmp_path, capsys):
    import csv

    out = tmp_path / "out"
    code, _, _ = run(["--task", "inpaint_box", "--in", str(digits), "--out", str(out), "--method", "drift-cond",
                      "--simulate", "--samples", "3"], capsys)
    assert code == 0
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert [r["name"] for r in rows] == ["d0.png", "d1.png", "d2.png"]
    assert set(rows[0]) == {"name", "consistency", "psnr", "ssim", "psnr_sample1", "psnr_sample2", "psnr_sample3"}
    assert all(10 < float(r["psnr"]) < 60 for r in rows)


def test_existing_results_are_not_overwritten_without_the_flag(digits, tmp_path, capsys):
    out = tmp_path / "out"
    assert run(["--task", "denoise", "--in", str(digits), "--out", str(out), "--method", "wiener"], capsys)[0] == 0
    before = (out / "d0.png").read_bytes()
    code, _, err = run(["--task", "denoise", "--in", str(digits), "--out", str(out), "--method", "pinv"], capsys)
    assert code == 2 and "--overwrite" in err and err.count("\n") == 1
    assert (out / "d0.png").read_bytes() == before
    code, _, _ = run(["--task", "denoise", "--in", str(digits), "--out", str(out), "--method", "pinv",
                      "--overwrite"], capsys)
    assert code == 0 and (out / "d0.png").read_bytes() != before


def test_sixteen_bit_png_is_read_at_its_depth(tmp_path, capsys):
    x, _ = data.samples("mnist")
    folder = tmp_path / "in16"
    folder.mkdir()
    Image.fromarray((x[0, 0].numpy() * 65535).round().astype(np.uint16)).save(folder / "d.png")
    Image.fromarray((x[0, 0].numpy() * 255).round().astype(np.uint8)).save(tmp_path / "d8.png")
    psnrs = []
    for source in (folder / "d.png", tmp_path / "d8.png"):
        out = tmp_path / f"out-{source.stem}"
        code, stdout, _ = run(["--task", "deblur", "--in", str(source), "--out", str(out), "--method", "wiener",
                               "--simulate"], capsys)
        assert code == 0
        psnrs.append(float(stdout.split("PSNR ")[1].split()[0]))
    assert abs(psnrs[0] - psnrs[1]) < 0.2  # the same picture, not saturated to white


def make_case(case: str, tmp_path, digits):
    """Return (input path, extra args) for a bad-input case."""
    bad = tmp_path / "bad"
    bad.mkdir()
    if case == "wrong_size":
        Image.fromarray(np.zeros((32, 32), np.uint8)).save(bad / "a.png")
    elif case == "wrong_channels":
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (28, 28, 3), dtype=np.uint8)).save(bad / "a.png")
    elif case == "nan":
        array = np.zeros((1, 28, 28), np.float32)
        array[0, 3, 3] = np.nan
        np.save(bad / "a.npy", array)
    elif case == "out_of_range":
        np.save(bad / "a.npy", np.full((1, 28, 28), 7.0, np.float32))
    elif case == "clean_out_of_range":
        np.save(bad / "a.npy", np.full((1, 28, 28), 1.2, np.float32))
        return bad, ["--simulate"]
    elif case == "empty_file":
        (bad / "a.png").write_bytes(b"")
    elif case == "not_an_image":
        (bad / "a.png").write_text("hello")
    elif case == "empty_folder":
        pass
    elif case == "missing_input":
        return tmp_path / "nothing-here", []
    elif case == "unknown_method":
        return digits, ["--method", "magic"]
    elif case == "unknown_task":
        return digits, ["--task", "colorize"]  # a later --task overrides the default
    elif case == "unknown_dataset":
        return digits, ["--dataset", "imagenet"]
    elif case == "missing_mask":
        return digits, ["--task", "inpaint_random"]
    elif case == "sr_wrong_size":
        return digits, ["--task", "sr2"]
    elif case == "method_not_for_task":
        return digits, ["--method", "bicubic"]
    elif case == "samples_of_a_deterministic_method":
        return digits, ["--method", "wiener", "--samples", "4"]
    elif case == "zero_samples":
        return digits, ["--method", "drift-cond", "--samples", "0"]
    elif case == "missing_weights":
        return digits, ["--method", "drift-cond", "--checkpoints", str(tmp_path / "no-weights")]
    elif case == "mask_for_a_task_without_mask":
        return digits, ["--mask", str(digits / "d0.png")]
    elif case == "out_is_a_file":
        target = tmp_path / "out"
        target.write_text("keep me")
        return digits, []
    elif case == "same_stem":
        Image.fromarray(np.zeros((28, 28), np.uint8)).save(bad / "x.png")
        Image.fromarray(np.zeros((28, 28), np.uint8)).save(bad / "x.jpg")
    elif case == "hwc_npy":
        np.save(bad / "a.npy", np.zeros((28, 28, 1), np.float32))
    return bad, []


CASES = ["wrong_size", "wrong_channels", "nan", "out_of_range", "clean_out_of_range", "empty_file", "not_an_image",
         "empty_folder", "missing_input", "unknown_method", "unknown_task", "unknown_dataset", "missing_mask",
         "sr_wrong_size", "method_not_for_task", "missing_weights", "samples_of_a_deterministic_method",
         "zero_samples", "mask_for_a_task_without_mask", "out_is_a_file", "same_stem", "hwc_npy"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_one_line_exit_2_nothing_written(case, tmp_path, digits, capsys):
    source, extra = make_case(case, tmp_path, digits)
    out = tmp_path / "out"
    args = ["--task", "denoise", "--in", str(source), "--out", str(out), "--dataset", "mnist", *extra]
    code, _, err = run(args, capsys)
    assert code == 2, err
    assert err.startswith("invdrift: error:") and err.count("\n") == 1
    if case == "out_is_a_file":
        assert out.read_text() == "keep me"
    else:
        assert not out.exists()


@pytest.mark.parametrize("case,words", [("cifar_into_mnist", "--dataset cifar10"),
                                        ("range_in_folder", "b.npy"),
                                        ("hwc_npy", "[H, W, C]")])
def test_errors_name_the_file_and_the_likely_cause(case, words, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    if case == "cifar_into_mnist":
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(folder / "c.png")
    elif case == "range_in_folder":
        np.save(folder / "a.npy", np.zeros((1, 28, 28), np.float32))
        np.save(folder / "b.npy", np.full((1, 28, 28), 200.0, np.float32))
    else:
        np.save(folder / "a.npy", np.zeros((32, 32, 3), np.float32))
    code, _, err = run(["--task", "denoise", "--in", str(folder), "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and words in err, err


def test_refuses_to_overwrite_inputs(digits, capsys):
    before = {p.name: p.read_bytes() for p in digits.iterdir()}
    code, _, err = run(["--task", "denoise", "--in", str(digits), "--out", str(digits), "--simulate"], capsys)
    assert code == 2 and "overwrite" in err
    assert {p.name: p.read_bytes() for p in digits.iterdir()} == before


def test_posterior_samples_and_their_mean(digits, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, _ = run(["--task", "inpaint_box", "--in", str(digits), "--out", str(out), "--method", "drift-cond",
                           "--simulate", "--samples", "4"], capsys)
    assert code == 0 and "PSNR" in stdout
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([f"d{i}{suffix}" for i in range(3) for suffix in (".png", "_measured.npy",
                                                                             "_measured.png", "_pinv.png")]
                           + [f"d{i}_sample{k}.png" for i in range(3) for k in range(1, 5)] + ["metrics.csv"])
    draws = np.stack([np.asarray(Image.open(out / f"d0_sample{k}.png"), np.float64) for k in range(1, 5)])
    mean = np.asarray(Image.open(out / "d0.png"), np.float64)
    assert np.abs(draws.mean(0) - mean).max() <= 2.0  # the mean of the draws, up to 8-bit rounding
    hole = np.zeros((28, 28), bool)
    hole[7:21, 7:21] = True
    assert draws.std(0)[hole].mean() > draws.std(0)[~hole].mean()  # samples differ where y says nothing


def test_restore_takes_operator_parameters(digits, tmp_path, capsys, data_root):
    """A moved operator: Tikhonov's α is tuned for it on train images (hence the data folder)."""
    code, stdout, _ = run(["--task", "inpaint_random:missing=0.9", "--in", str(digits / "d0.png"), "--out",
                           str(tmp_path / "o"), "--method", "tikhonov", "--simulate", "--data-root", str(data_root)],
                          capsys)
    assert code == 0 and "(inpaint_random:missing=0.9, σ 0.01)" in stdout
    mask = np.asarray(Image.open(tmp_path / "o" / "d0_mask.png"))
    assert abs((mask == 0).mean() - 0.9) < 0.06
    code, _, err = run(["--task", "inpaint_random:missing=2", "--in", str(digits), "--out", str(tmp_path / "p")],
                       capsys)
    assert code == 2 and "missing=2.0 is out of range" in err and not (tmp_path / "p").exists()


def test_posterior_samples_take_the_method_parameters(digits, tmp_path, capsys):
    """`--method drift-cond:noise_scale=s --samples K`: s = 1 writes the default draws, s = 2 other draws."""
    written = {}
    for method in ("drift-cond", "drift-cond:noise_scale=1", "drift-cond:noise_scale=2"):
        out = tmp_path / method.replace(":", "_")
        code, _, err = run(["--task", "sr4", "--in", str(digits), "--out", str(out), "--method", method,
                            "--simulate", "--samples", "2"], capsys)
        assert code == 0, err
        written[method] = (out / "d0_sample1.png").read_bytes()
    assert written["drift-cond:noise_scale=1"] == written["drift-cond"] != written["drift-cond:noise_scale=2"]
