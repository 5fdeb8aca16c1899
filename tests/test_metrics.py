import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from invdrift import data, metrics, operators


def skimage_scores(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    est = a.clamp(0, 1).double().numpy()
    ref = b.double().numpy()
    p = peak_signal_noise_ratio(ref, est, data_range=1)
    s = structural_similarity(ref, est, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                              data_range=1, channel_axis=0)
    return p, s


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_psnr_ssim_match_scikit_image(name):
    clean, _ = data.samples(name)
    clean = clean[:6]
    g = torch.Generator().manual_seed(0)
    noisy = clean + 0.1 * torch.randn(clean.shape, generator=g)
    random_pair = (torch.rand(clean.shape, generator=g), torch.rand(clean.shape, generator=g))
    for est, ref in [(noisy, clean), random_pair, (clean.flip(0), clean)]:
        ours_p, ours_s = metrics.psnr(est, ref), metrics.ssim(est, ref)
        for i in range(len(ref)):
            p, s = skimage_scores(est[i], ref[i])
            assert abs(ours_p[i].item() - p) < 1e-3
            assert abs(ours_s[i].item() - s) < 1e-3


def test_consistency_of_the_truth_is_about_one():
    x, _ = data.samples("cifar10")
    op = operators.make("deblur", x.shape[1:])
    idx = list(range(len(x)))
    y = op.measure(x, idx)
    c = metrics.consistency(x, y, op)
    assert 0.9 < c.mean().item() < 1.1
    assert metrics.consistency(op.A(x) * 0 + 0.5, y, op).mean() > 2


def test_frechet_distance_basic():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(2000, 4, generator=g)
    b = torch.randn(2000, 4, generator=g)
    assert metrics.frechet_distance(a, a) < 1e-6
    assert metrics.frechet_distance(a, b) < 0.05
    assert abs(metrics.frechet_distance(a, b + 1) - 4) < 0.3


def test_mean_and_se():
    m, se = metrics.mean_and_se(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    assert m == 2.5 and abs(se - np.std([1, 2, 3, 4], ddof=1) / 2) < 1e-12
