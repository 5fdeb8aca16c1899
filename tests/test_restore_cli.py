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
    assert code == 0 and "PSNR" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["d0.png", "d0_measured.png", "d1.png", "d1_measured.png",
                                                      "d2.png", "d2_measured.png"]
    # restoring the measured images as measurements also works (same size for deblur)
    measured = tmp_path / "measured"
    measured.mkdir()
    for p in out.glob("*_measured.png"):
        p.rename(measured / p.name)
    code, _, _ = run(["--task", "deblur", "--in", str(measured), "--out", str(tmp_path / "again")], capsys)
    assert code == 0 and len(list((tmp_path / "again").iterdir())) == 3


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
    return bad, []


CASES = ["wrong_size", "wrong_channels", "nan", "out_of_range", "clean_out_of_range", "empty_file", "not_an_image",
         "empty_folder", "missing_input", "unknown_method", "unknown_task", "unknown_dataset", "missing_mask",
         "sr_wrong_size", "method_not_for_task", "missing_weights", "samples_of_a_deterministic_method",
         "zero_samples"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_one_line_exit_2_nothing_written(case, tmp_path, digits, capsys):
    source, extra = make_case(case, tmp_path, digits)
    out = tmp_path / "out"
    args = ["--task", "denoise", "--in", str(source), "--out", str(out), "--dataset", "mnist", *extra]
    code, _, err = run(args, capsys)
    assert code == 2, err
    assert err.startswith("invdrift: error:") and err.count("\n") == 1
    assert not out.exists()


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
    assert names == sorted([f"d{i}.png" for i in range(3)] + [f"d{i}_measured.png" for i in range(3)]
                           + [f"d{i}_sample{k}.png" for i in range(3) for k in range(1, 5)])
    draws = np.stack([np.asarray(Image.open(out / f"d0_sample{k}.png"), np.float64) for k in range(1, 5)])
    mean = np.asarray(Image.open(out / "d0.png"), np.float64)
    assert np.abs(draws.mean(0) - mean).max() <= 2.0  # the mean of the draws, up to 8-bit rounding
    hole = np.zeros((28, 28), bool)
    hole[7:21, 7:21] = True
    assert draws.std(0)[hole].mean() > draws.std(0)[~hole].mean()  # samples differ where y says nothing
