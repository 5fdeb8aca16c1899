import json

import pytest
import torch

from invdrift import cli, data, kept_outputs, metrics
from invdrift.paired_bootstrap import paired_bootstrap


def _features(n: int, shift: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, generator=g, dtype=torch.float64) + shift


def test_a_clearly_worse_method_is_dominated_in_almost_every_resample():
    reference = _features(300, 0.0, 0)
    good, bad = _features(300, 0.05, 1), _features(300, 1.0, 2)
    psnr_good, psnr_bad = torch.full((300,), 25.0), torch.full((300,), 20.0)
    boot = paired_bootstrap(psnr_bad, psnr_good, bad, good, reference, draws=50)
    assert boot.dominated_share() > 0.95 and boot.lower_fd_share() < 0.05 and boot.lower_psnr_share() == 1.0
    low, high = boot.fd_ratio_interval()
    assert 1 < low <= high
    reverse = paired_bootstrap(psnr_good, psnr_bad, good, bad, reference, draws=50)
    assert reverse.dominated_share() == 0.0 and reverse.lower_fd_share() > 0.95


def test_two_draws_of_one_method_are_not_resolved_and_the_seed_fixes_the_resamples():
    reference = _features(200, 0.0, 0)
    a, b = _features(200, 0.3, 1), _features(200, 0.3, 2)  # the same distribution, two draws
    psnr = torch.linspace(18, 26, 200)
    boot = paired_bootstrap(psnr, psnr + torch.randn(200, generator=torch.Generator().manual_seed(3)) * 0.5,
                            a, b, reference, draws=200, seed=7)
    assert 0.05 < boot.lower_fd_share() < 0.95
    again = paired_bootstrap(psnr, psnr, a, b, reference, draws=200, seed=7)
    assert torch.equal(again.fd_a, boot.fd_a) and torch.equal(again.fd_b, boot.fd_b)
    with pytest.raises(ValueError, match="same images"):
        paired_bootstrap(psnr[:10], psnr, a, b, reference)


def test_bench_keeps_the_restorations_its_rows_were_scored_on(capsys, tmp_path, data_root):
    kept = tmp_path / "kept"
    code = cli.main(["bench", "--task", "deblur:std=2,sigma=0.1", "--methods", "wiener", "--n", "20",
                     "--offset", "5", "--out", str(tmp_path / "res"), "--data-root", str(data_root),
                     "--keep-outputs", str(kept)])
    assert code == 0
    row = json.loads((tmp_path / "res" / "results.json").read_text())["rows"][0]
    x_hat, indices = kept_outputs.load(kept, "mnist", row["operator"], "wiener")
    assert indices.tolist() == list(range(5, 25))
    x, _ = data.load_slice("mnist", "test", 5, 20, data_root)
    assert metrics.psnr(x_hat, x).double().mean().item() == pytest.approx(row["psnr"], abs=1e-9)
    assert x_hat.min() >= 0 and x_hat.max() <= 1
    again = tmp_path / "kept-again"  # a row re-run by --again keeps its restorations too
    assert cli.main(["bench", "--again", "--methods", "wiener", "--out", str(tmp_path / "res"),
                     "--data-root", str(data_root), "--keep-outputs", str(again)]) == 0
    x_again, indices_again = kept_outputs.load(again, "mnist", row["operator"], "wiener")
    assert torch.equal(x_again, x_hat) and torch.equal(indices_again, indices)
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    code = cli.main(["bench", "--task", "denoise", "--methods", "wiener", "--n", "4", "--out", str(tmp_path / "res2"),
                     "--data-root", str(data_root), "--keep-outputs", str(a_file)])
    captured = capsys.readouterr()
    assert code == 2 and "is a file: give a folder" in captured.err and not (tmp_path / "res2").exists()


def test_a_damaged_kept_file_is_one_clear_error(tmp_path):
    from invdrift.errors import InvdriftError

    path = kept_outputs.outputs_path(tmp_path, "mnist", "denoise:sigma=0.2", "dps")
    path.write_bytes(b"not a safetensors file")
    with pytest.raises(InvdriftError, match="truncated or corrupted"):
        kept_outputs.load(tmp_path, "mnist", "denoise:sigma=0.2", "dps")
    kept_outputs.keep(tmp_path, "mnist", "denoise:sigma=0.2", "dps", torch.rand(3, 1, 28, 28), [0, 1])
    with pytest.raises(InvdriftError, match="equal length"):
        kept_outputs.load(tmp_path, "mnist", "denoise:sigma=0.2", "dps")


def test_the_bootstraps_fd_is_the_protocols():
    from invdrift.metrics import frechet_distance_eigh

    g = torch.Generator().manual_seed(0)
    for n, d, weak in ((300, 128, 30), (50, 16, 16), (1000, 8, 2)):
        a = torch.randn(n, d, generator=g, dtype=torch.float64) @ torch.randn(d, d, generator=g, dtype=torch.float64)
        b = torch.randn(n, d, generator=g, dtype=torch.float64) + 0.3
        b[:, weak:] *= 1e-3  # a covariance with directions of almost no weight, as the classifier's features
        assert frechet_distance_eigh(a, b) == pytest.approx(metrics.frechet_distance(a, b), rel=1e-8, abs=1e-10)
