import torch

from invdrift.priors import drift_features, drifting


def test_field_is_zero_when_positives_equal_negatives():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 16, 5, generator=g)
    p = torch.randn(2, 32, 5, generator=g)
    v = drifting.drift_field(x, p, p.clone(), temperature=0.5)
    assert v.abs().max() < 1e-6


def test_field_is_antisymmetric():
    g = torch.Generator().manual_seed(1)
    x, p, q = (torch.randn(1, n, 3, generator=g, dtype=torch.float64) for n in (8, 20, 20))
    v_pq = drifting.drift_field(x, p, q, temperature=0.3)
    v_qp = drifting.drift_field(x, q, p, temperature=0.3)
    assert torch.allclose(v_pq, -v_qp, atol=1e-12)
    assert v_pq.abs().max() > 1e-3  # not trivially zero


def test_field_points_towards_the_data():
    x = torch.zeros(1, 4, 2) + torch.tensor([[0.0, 0.01], [0.01, 0.0], [0.0, -0.01], [-0.01, 0.0]])
    p = torch.tensor([3.0, 0.0]) + 0.1 * torch.randn(1, 64, 2, generator=torch.Generator().manual_seed(0))
    v, _, _ = drifting.normalised_field(x, p)
    assert (v[0, :, 0] > 0).all()


def test_loss_gradient_moves_samples_along_the_field():
    g = torch.Generator().manual_seed(2)
    gen = torch.randn(1, 32, 2, generator=g).requires_grad_(True)
    pos = torch.randn(1, 32, 2, generator=g) + 2
    loss, info = drifting.drift_loss([gen], [pos])
    loss.backward()
    v, scale, _ = drifting.normalised_field(gen.detach(), pos)
    # d/dx mean‖x/s − (x/s + V)‖² = −2V/(s·numel): the gradient is anti-parallel to V
    expected = -2 * v / scale / gen.numel()
    assert torch.allclose(gen.grad, expected, atol=1e-6)
    assert "f0_v_rms_0.02" in info


def test_toy_two_gaussians_from_a_collapsed_start():
    """A tiny generator starting collapsed at the origin learns both modes.

    16 samples per step: with the official affinity floor (1e-6 before the square root) every
    affinity is at least 1e-3, so in a collapsed batch of 128 the far positives all weigh the floor
    and the field only pulls to the data mean; small groups (as the official per-class batches) escape.
    """
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.SiLU(), torch.nn.Linear(64, 64), torch.nn.SiLU(),
                              torch.nn.Linear(64, 2))
    with torch.no_grad():
        net[-1].weight.mul_(0.01)
        net[-1].bias.zero_()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    centres = torch.tensor([[-2.0, 0.0], [2.0, 0.0]])
    g = torch.Generator().manual_seed(0)
    for _ in range(800):
        data = centres[torch.randint(2, (16,), generator=g)] + 0.2 * torch.randn(16, 2, generator=g)
        out = net(torch.randn(16, 4, generator=g))
        loss, _ = drifting.drift_loss([out[None]], [data[None]])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        samples = net(torch.randn(2000, 4, generator=g))
    nearest = (samples[:, None] - centres[None]).norm(dim=-1).argmin(1)
    share = nearest.float().mean().item()
    assert 0.35 < share < 0.65
    assert (samples[:, None] - centres[None]).norm(dim=-1).min(1).values.median() < 0.5


def test_pixel_and_map_features_shapes():
    x = torch.rand(6, 1, 28, 28)
    shapes = [tuple(f.shape) for f in drift_features.pixel_features(x)]
    assert shapes == [(1, 6, 784), (1, 6, 196), (1, 6, 49), (16, 6, 49)]
    fmap = torch.rand(6, 8, 8, 8)
    shapes = [tuple(f.shape) for f in drift_features.map_features(fmap)]
    assert shapes == [(64, 6, 8), (1, 6, 16), (16, 6, 16), (4, 6, 16)]


def test_coarse_map_features_cap_the_number_of_locations():
    big = [tuple(f.shape) for f in drift_features.coarse_map_features(torch.rand(6, 8, 16, 16))]
    assert big == [(1, 6, 16), (16, 6, 16), (4, 6, 16)]
    small = [tuple(f.shape) for f in drift_features.coarse_map_features(torch.rand(6, 8, 4, 4))]
    assert small == [(1, 6, 16), (16, 6, 8), (4, 6, 16)]
    fmap = torch.rand(6, 8, 16, 16)
    means = drift_features.coarse_map_features(fmap)[1][..., :8]  # 4×4 cells of 4×4 pixels
    assert torch.allclose(means[5], fmap[:, :, 4:8, 4:8].mean((2, 3)), atol=1e-6)


def test_jpeg_roundtrip_keeps_shape_and_changes_detail_only():
    from invdrift.evaluation import jpeg_roundtrip

    g = torch.Generator().manual_seed(0)
    smooth = torch.nn.functional.interpolate(torch.rand(2, 3, 8, 8, generator=g), size=32, mode="bilinear")
    noisy = (smooth + 0.2 * torch.rand(2, 3, 32, 32, generator=g)).clamp(0, 1)
    for images in (noisy, noisy[:, :1]):
        out = jpeg_roundtrip(images, 75)
        assert out.shape == images.shape and out.dtype == torch.float32
        error = (out - images).pow(2).mean().sqrt().item()
        assert 0.005 < error < 0.1  # lossy, but the same picture
    assert (jpeg_roundtrip(noisy, 95) - noisy).abs().mean() < (jpeg_roundtrip(noisy, 30) - noisy).abs().mean()
