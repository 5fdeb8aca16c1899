"""LPIPS wiring with random weights: loading, the metric's basic properties, the bench column."""

import json

import pytest
import torch
from safetensors.torch import save_file

from invdrift import cli
from invdrift.errors import InvdriftError
from invdrift.lpips import LPIPS, load_lpips, lpips_distance


@pytest.fixture
def random_weights(tmp_path):
    torch.manual_seed(0)
    model = LPIPS()
    for k in range(5):
        getattr(model, f"lin{k}").weight.data.abs_()  # LPIPS heads are non-negative
    state = {k.removeprefix("net."): v for k, v in model.state_dict().items()}
    path = tmp_path / "lpips.safetensors"
    save_file(state, str(path))
    return path


def test_lpips_properties(random_weights):
    model = load_lpips(random_weights)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 32, 32, generator=g)
    near = (x + 0.02 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    far = torch.rand(4, 3, 32, 32, generator=g)
    assert torch.allclose(lpips_distance(model, x, x), torch.zeros(4), atol=1e-6)
    assert (lpips_distance(model, near, x) < lpips_distance(model, far, x)).all()
    assert lpips_distance(model, x[:, :1], x[:, :1]).shape == (4,)  # grey images work too


def test_lpips_rejects_a_mismatched_file(tmp_path):
    path = tmp_path / "bad.safetensors"
    save_file({"features.0.weight": torch.zeros(1)}, str(path))
    with pytest.raises(InvdriftError, match="does not fit"):
        load_lpips(path)


def test_bench_lpips_column(random_weights, tmp_path, data_root, capsys):
    args = ["bench", "--dataset", "mnist", "--task", "denoise", "--methods", "pinv", "--n", "16",
            "--data-root", str(data_root)]
    assert cli.main(args + ["--out", str(tmp_path / "a")]) == 0
    assert cli.main(args + ["--out", str(tmp_path / "b"), "--lpips-weights", str(random_weights)]) == 0
    missing = json.loads((tmp_path / "a" / "results.json").read_text())["rows"][0]["lpips"]
    present = json.loads((tmp_path / "b" / "results.json").read_text())["rows"][0]["lpips"]
    assert missing is None and "missing" in (tmp_path / "a" / "results.md").read_text()
    assert isinstance(present, float) and present > 0
