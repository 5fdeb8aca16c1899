"""The per-measurement losses and posterior metrics: reference computations and calibration."""

import math

import numpy as np
import pytest
import torch

from invdrift import metrics
from invdrift.priors import drifting, posterior_losses


def reference_field(gen: np.ndarray, pos: np.ndarray, temperatures=(0.02, 0.05, 0.2)) -> np.ndarray:
    """The official drifting computation, written out with loops: gen [B, N, S], pos [B, P, S] →
    the force in scaled coordinates, each temperature divided by its RMS over all groups."""
    b, n, s = gen.shape
    targets = np.concatenate([gen, pos], axis=1)
    dist = np.sqrt(np.clip(((gen[:, :, None] - targets[:, None]) ** 2).sum(-1), 1e-8, None))
    scale = dist.mean()
    scale_inputs = max(scale / math.sqrt(s), 1e-3)
    normed = dist / max(scale, 1e-3)
    for i in range(n):
        normed[:, i, i] += 100.0
    total = np.zeros_like(gen)
    for tau in temperatures:
        force = np.zeros_like(gen)
        for grp in range(b):
            logits = -normed[grp] / tau
            row = np.exp(logits - logits.max(1, keepdims=True))
            row /= row.sum(1, keepdims=True)
            col = np.exp(logits - logits.max(0, keepdims=True))
            col /= col.sum(0, keepdims=True)
            aff = np.sqrt(np.clip(row * col, 1e-6, None))
            for i in range(n):
                a_neg, a_pos = aff[i, :n], aff[i, n:]
                for j in range(targets.shape[1]):
                    c = -a_neg[j] * a_pos.sum() if j < n else a_pos[j - n] * a_neg.sum()
                    force[grp, i] += c * (targets[grp, j] - gen[grp, i]) / scale_inputs
        total += force / max(math.sqrt((force ** 2).mean()), 1e-4)
    return total


@pytest.mark.parametrize("shape", [(3, 5, 4, 1), (2, 6, 3, 7), (1, 9, 2, 12)])
def test_drift_field_equals_the_reference_computation(shape):
    groups, n, dim, positives = shape
    g = torch.Generator().manual_seed(sum(shape))
    gen = torch.randn(groups, n, dim, generator=g, dtype=torch.float64)
    pos = torch.randn(groups, positives, dim, generator=g, dtype=torch.float64) + 0.5
    v, _, _ = drifting.normalised_field(gen, pos)
    expected = reference_field(gen.numpy(), pos.numpy())
    assert np.abs(v.numpy() - expected).max() < 1e-8 * max(1.0, np.abs(expected).max())


def test_affinity_floor_is_the_official_constant():
    assert drifting.AFFINITY_FLOOR == 1e-6


def test_grouped_drift_pulls_each_group_towards_its_own_clean_image():
    g = torch.Generator().manual_seed(0)
    clean = torch.tensor([[[-3.0, 0.0], [3.0, 0.0]]])  # [L=1, B=2, D=2]
    gen = (torch.randn(1, 8, 2, generator=g) * 0.1).requires_grad_(True)  # 2 measurements × G=4, at 0
    loss, _ = posterior_losses.grouped_drift_loss([gen], [clean], group_size=4)
    loss.backward()
    step = -gen.grad[0, :, 0]  # gradient descent direction along x
    assert (step[:4] < 0).all() and (step[4:] > 0).all()


@pytest.mark.parametrize("beta, narrow, wide, seed", [(1.0, 0.3, 3.0, 0), (1.5, 0.5, 2.0, 1)])
def test_energy_score_prefers_the_true_distribution(beta, narrow, wide, seed):
    """Expected energy score (ES_β, 0 < β < 2, is proper too): samples from the truth's own law beat too
    narrow and too wide ones."""
    g = torch.Generator().manual_seed(seed)
    truth = torch.randn(4000, 1, 3, generator=g)
    scores = {}
    for width in (narrow, 1.0, wide):
        samples = width * torch.randn(4000, 8, 3, generator=g)
        scores[width] = posterior_losses.energy_score(samples, truth, beta=beta).mean().item()
    assert scores[1.0] < scores[narrow] and scores[1.0] < scores[wide]


def test_energy_score_refuses_an_exponent_outside_0_2():
    for beta in (0.0, 2.0):
        with pytest.raises(ValueError, match="exponent"):
            posterior_losses.energy_score(torch.zeros(1, 2, 3), torch.zeros(1, 1, 3), beta=beta)


def test_mean_error_is_the_beta_2_energy_score_per_dimension():
    g = torch.Generator().manual_seed(3)
    samples, target = torch.randn(5, 4, 6, generator=g), torch.randn(5, 1, 6, generator=g)
    attraction = (samples - target).pow(2).sum(-1).mean(1)
    pairs = (samples[:, :, None] - samples[:, None]).pow(2).sum(-1).sum((1, 2)) / (4 * 3)
    expected = (attraction - 0.5 * pairs) / 6
    assert torch.allclose(posterior_losses.mean_error(samples, target), expected, atol=1e-6)


def test_mean_error_scores_the_mean_whatever_the_spread():
    """Its expectation is the squared error of the samples' law's mean: the same for every spread, where
    the plain error of the group's average grows with the spread."""
    g = torch.Generator().manual_seed(4)
    target, centre = torch.zeros(1, 1, 10), torch.full((1, 1, 10), 0.5)
    for width in (0.0, 0.5, 2.0):
        samples = centre + width * torch.randn(20000, 4, 10, generator=g)
        assert abs(posterior_losses.mean_error(samples, target).mean().item() - 0.25) < 0.02
        naive = (samples.mean(1, keepdim=True) - target).pow(2).mean().item()
        assert abs(naive - (0.25 + width ** 2 / 4)) < 0.02 + 0.02 * width ** 2


def test_pixel_crps_is_each_pixels_energy_score_over_the_mean_absolute_error():
    """Independent computation: per pixel and measurement, mean |x̂ − x| − ½ mean over g ≠ g′ |x̂_g − x̂_g′|,
    averaged, divided by the mean |x̂ − x|; samples of one measurement are consecutive."""
    g = torch.Generator().manual_seed(5)
    samples, clean = torch.rand(6, 2, 3, 3, generator=g), torch.rand(2, 2, 3, 3, generator=g)  # B = 2, G = 3
    groups = samples.reshape(2, 3, -1)  # [B, G, pixels]
    truth = clean.reshape(2, 1, -1)
    attraction = (groups - truth).abs().mean(1)
    pairs = (groups[:, :, None] - groups[:, None]).abs().sum((1, 2)) / (3 * 2)
    expected = (attraction - 0.5 * pairs).mean() / (groups - truth).abs().mean()
    got, _ = posterior_losses.pixel_crps_loss(samples, clean, 3)
    assert got.item() == pytest.approx(expected.item(), rel=1e-4)


def test_pixel_crps_prefers_calibrated_pixels_whatever_their_correlation():
    """Each pixel's marginal is what it scores: samples drawn from each pixel's true law beat too narrow and
    too wide ones, and noise shared by all pixels of a sample scores as well as independent noise."""
    g = torch.Generator().manual_seed(6)
    truth = torch.randn(2000, 1, 4, 4, generator=g)
    scores = {}
    for name, draw in {"narrow": lambda: 0.3 * torch.randn(2000 * 4, 1, 4, 4, generator=g),
                       "true": lambda: torch.randn(2000 * 4, 1, 4, 4, generator=g),
                       "wide": lambda: 3 * torch.randn(2000 * 4, 1, 4, 4, generator=g),
                       "shared": lambda: torch.randn(2000 * 4, 1, 1, 1, generator=g).expand(-1, 1, 4, 4)}.items():
        score, _ = posterior_losses.pixel_crps_loss(draw(), truth, 4)
        scale = (draw() - truth.repeat_interleave(4, 0)).abs().mean()  # undo the normalisation
        scores[name] = score.item() * scale.item()
    assert scores["true"] < scores["narrow"] and scores["true"] < scores["wide"]
    assert scores["shared"] == pytest.approx(scores["true"], rel=0.03)


def test_energy_score_needs_two_samples_and_groups_must_divide():
    with pytest.raises(ValueError):
        posterior_losses.energy_score(torch.zeros(2, 1, 3), torch.zeros(2, 1, 3))
    with pytest.raises(ValueError):
        posterior_losses.mean_error(torch.zeros(2, 1, 3), torch.zeros(2, 1, 3))
    with pytest.raises(ValueError):
        posterior_losses.per_measurement(torch.zeros(1, 7, 3), 4)


def test_range_coverage_of_a_calibrated_sampler_is_k_minus_1_over_k_plus_1():
    g = torch.Generator().manual_seed(0)
    k = 8
    truth = torch.rand(200, 1, 8, 8, generator=g)
    samples = torch.rand(k, 200, 1, 8, 8, generator=g)
    coverage = metrics.range_coverage(samples, truth, torch.Generator().manual_seed(0)).mean().item()
    assert abs(coverage - (k - 1) / (k + 1)) < 0.01
    # ties at the clipping bound (truth and every sample at 0) are broken at random, not counted inside
    zeros = metrics.range_coverage(torch.zeros(k, 50, 1, 8, 8), torch.zeros(50, 1, 8, 8),
                                   torch.Generator().manual_seed(0)).mean().item()
    assert abs(zeros - (k - 1) / (k + 1)) < 0.02
    # an under-dispersed sampler (all draws equal, not the truth) covers nothing
    assert metrics.range_coverage(samples[:1].expand(k, -1, -1, -1, -1), truth,
                                  torch.Generator().manual_seed(0)).max() < 0.05


def test_spread_skill_is_one_for_a_calibrated_sampler_and_tells_under_from_over_dispersion():
    """Truth and K samples drawn alike around a per-image centre: ratio 1; samples at half or twice the
    posterior's width: 1/2 and 2 (values kept well inside [0, 1] so that clipping does not enter)."""
    g = torch.Generator().manual_seed(0)
    k, width = 8, 0.05
    centre = 0.3 + 0.4 * torch.rand(400, 1, 8, 8, generator=g)
    truth = centre + width * torch.randn(centre.shape, generator=g)
    for scale in (1.0, 0.5, 2.0):
        samples = centre + scale * width * torch.randn((k, *centre.shape), generator=g)
        ratio = metrics.spread_skill(*metrics.spread_and_error(samples, truth), k)
        expected = scale * math.sqrt((1 + 1 / k) / (1 + scale ** 2 / k))  # error of the mean: width²(1 + s²/K)
        assert abs(ratio - expected) < 0.02, (scale, ratio, expected)
        # the mean of infinitely many samples is the centre: its MSE is width², found from one sample and K
        draws = centre + scale * width * torch.randn((k + 1, *centre.shape), generator=g)
        one, mean_k = metrics.mse(draws[0], truth).mean(), metrics.mse(draws[1:].mean(0), truth).mean()
        assert abs(metrics.limit_mse(float(one), float(mean_k), k) / width ** 2 - 1) < 0.1
    # a sampler whose draws are all the same has no spread
    same = metrics.spread_and_error(centre.expand(k, -1, -1, -1, -1), truth)
    assert metrics.spread_skill(*same, k) == 0.0


def test_sample_std():
    samples = torch.stack([torch.full((2, 1, 4, 4), 0.2), torch.full((2, 1, 4, 4), 0.4)])
    assert torch.allclose(metrics.sample_std(samples), torch.full((2,), 0.1 * math.sqrt(2), dtype=torch.float64))


def test_posterior_columns_reuse_the_estimate_as_draw_zero():
    """Drawing K − 1 more after the estimate gives the columns of K fresh draws, with one run fewer."""
    from dataclasses import dataclass

    from invdrift import bench
    from invdrift.solvers.base import Solver, reseeded_draws

    runs = []

    @dataclass
    class Noisy:  # a sampler whose only randomness is its seed
        seed: int

        def __call__(self, y, op):
            runs.append(self.seed)
            g = torch.Generator().manual_seed(self.seed)
            return op.pinv(y) + 0.1 * torch.randn(op.pinv(y).shape, generator=g)

    x = torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    batches = bench.measure_slice(x, 0, "denoise", 0, batch_size=4)
    solver = Solver("noisy", Noisy(0), draws=reseeded_draws(lambda s: Noisy(s), 0))
    estimate = torch.cat([solver(b.y, b.op) for b in batches])
    runs.clear()
    reused = bench.posterior_metrics(solver, batches, 4, 0, first=estimate)
    assert len(runs) == 3 * len(batches) and 0 not in runs
    assert reused == bench.posterior_metrics(solver, batches, 4, 0)
