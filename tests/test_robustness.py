"""The robustness study: families of moved operators, the loss conclusion, the DDPM noise-level table."""

from invdrift import robustness
from invdrift.priors.ddpm import Schedule, noise_to_signal

MNIST = (1, 28, 28)


def _row(task, method, psnr, n=1000):
    return {"dataset": "mnist", "task": task, "method": method, "psnr": psnr, "n": n, "fd": 1.0}


ROWS = [_row("deblur", "wiener", 20.0), _row("deblur:std=2", "wiener", 18.0), _row("deblur:std=1", "wiener", 23.0),
        _row("deblur", "regression", 22.0), _row("deblur:std=2", "regression", 15.0),
        _row("deblur:std=1", "regression", 19.0), _row("deblur:sigma=0.1", "wiener", 18.5),
        _row("deblur:sigma=0.1", "regression", 16.0), _row("deblur:sigma=0.1,std=2", "wiener", 10.0),
        _row("sr4", "wiener", 1.0)]


def test_rows_group_into_one_moved_parameter_each():
    groups = robustness.families(ROWS, "mnist", MNIST)
    assert set(groups) == {("deblur", "std"), ("deblur", "sigma")}  # two moves at once belong to no family
    std = {(m["method"], m["value"]) for m in groups[("deblur", "std")]}
    assert std == {("wiener", 1.0), ("wiener", 1.5), ("wiener", 2.0), ("regression", 1.0), ("regression", 1.5),
                   ("regression", 2.0)}


def test_the_conclusion_names_the_method_that_loses_least():
    groups = robustness.families(ROWS, "mnist", MNIST)
    lost = robustness.losses(groups, MNIST)
    assert lost["wiener"] == ((2.0 - 3.0 + 1.5) / 3, 3, 0) and lost["regression"] == ((7.0 + 3.0 + 6.0) / 3, 3, 0)
    lines = robustness.conclusion(groups, MNIST)
    assert "`wiener` loses least (mean PSNR lost from its v1 row +0.17 dB" in lines[0] and "`regression` +5.33" in lines[0]
    assert "more test images" not in lines[0]
    assert lines[1] == "- Highest mean PSNR on those moved operators: `wiener` (19.83 dB)."
    table = robustness.family_tables(groups, MNIST)
    assert "| method | std=1 | std=1.5 (v1) | std=2 |" in table and "| regression | 19.00 | 22.00 | 15.00 |" in table


def test_a_moved_row_on_fewer_images_is_compared_with_the_v1_row_and_said_so():
    rows = [_row("deblur", "wiener", 20.0), _row("deblur", "wiener", 99.0, n=32), _row("deblur:std=2", "wiener", 18.0, n=32),
            _row("deblur", "dps", 21.0, n=100), _row("deblur:std=2", "dps", 20.5, n=32)]
    groups = robustness.families(rows, "mnist", MNIST)
    lost = robustness.losses(groups, MNIST)
    assert lost["wiener"] == (81.0, 1, 0)  # the v1 row on the same n wins over the one on 1000 images
    assert lost["dps"] == (0.5, 1, 1)
    assert "In 1 of these differences the v1 row ran on more test images" in robustness.conclusion(groups, MNIST)[0]


def test_denoising_levels_are_the_ddpm_noise_levels():
    schedule = Schedule.linear()
    specs = robustness.denoising_levels(schedule)
    sigmas = [float(s.split("=")[1]) for s in specs]
    for t, sigma in zip(robustness.DDPM_STEPS, sigmas):
        assert abs(sigma - noise_to_signal(schedule, t) / 2) < 1e-3 * sigma
    rows = [_row(specs[0], "tweedie", 30.0), _row(specs[2], "tweedie", 5.0, n=100), _row(specs[0], "wiener", 28.0)]
    table = robustness.denoising_table(rows, "mnist", schedule)
    assert table[0] == "| t | σ | tweedie | wiener |"
    assert table[2].startswith(f"| 100 | {specs[0].split('=')[1]} | 30.00 / 1 | 28.00 / 1 |")
    assert table[4].endswith("| 5.00 / 1* | — |")


def test_the_section_draws_the_plot(tmp_path):
    lines = robustness.section(ROWS, "mnist", MNIST, None, tmp_path)
    assert (tmp_path / "robustness-mnist.png").is_file() and "![robustness](robustness-mnist.png)" in lines
