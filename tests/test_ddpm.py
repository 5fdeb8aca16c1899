"""DDPM schedule identities, Tweedie with an oracle, DPS gradient, sampler determinism (tiny nets)."""

import json

import torch

from invdrift import operators
from invdrift.nets.denoiser import Denoiser
from invdrift.priors import ddpm
from invdrift.solvers import diffusion

S = ddpm.Schedule.linear()


def test_schedule_identities():
    assert S.T == 1000 and abs(S.betas[0].item() - 1e-4) < 1e-12 and abs(S.betas[-1].item() - 0.02) < 1e-12
    assert torch.allclose(S.alpha_bars[1:], S.alpha_bars[:-1] * (1 - S.betas[1:]))
    assert S.alpha_bars[-1] < 1e-4 < S.alpha_bars[0]
    ratio = ((1 - S.alpha_bars) / S.alpha_bars).sqrt()
    t = S.t_for_noise(0.4)
    assert abs(ratio[t] - 0.4) < 0.01


def test_tweedie_inverts_the_forward_process_with_an_oracle():
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(4, 1, 8, 8, generator=g) * 2 - 1
    noise = torch.randn(x0.shape, generator=g)
    for t_value in (0, 100, 500, 999):
        t = torch.full((4,), t_value, dtype=torch.long)
        x_t = ddpm.q_sample(S, x0, t, noise)
        assert torch.allclose(ddpm.tweedie(S, x_t, t, noise), x0, atol=1e-3)


def test_ancestral_step_with_the_true_x0_is_the_exact_posterior_mean():
    x0 = torch.zeros(1, 1, 4, 4) + 0.3
    x_t = torch.zeros(1, 1, 4, 4)
    out = ddpm.ancestral_step(S, x_t, 0, x0, torch.randn(1, 1, 4, 4))
    assert torch.allclose(out, x0, atol=1e-6)  # t = 0 returns the mean, which is x0 there


def tiny_model() -> Denoiser:
    torch.manual_seed(0)
    return Denoiser(1, 8).double()


def test_dps_gradient_matches_finite_differences():
    model = tiny_model()
    op = operators.make("sr2", (1, 8, 8))
    g = torch.Generator().manual_seed(1)
    y = torch.rand(2, 1, 4, 4, generator=g, dtype=torch.float64)
    x_t = torch.randn(2, 1, 8, 8, generator=g, dtype=torch.float64)
    _, grad, _ = diffusion.dps_gradient(model, S, x_t, 400, y, op)
    direction = torch.randn(x_t.shape, generator=g, dtype=torch.float64)

    def objective(x):
        steps = torch.full((2,), 400, dtype=torch.long)
        x0 = ddpm.tweedie(S, x, steps, model(x, steps))
        return diffusion.measurement_residual(x0, y, op).pow(2).sum()

    h = 1e-6
    numeric = (objective(x_t + h * direction) - objective(x_t - h * direction)) / (2 * h)
    assert abs(numeric.item() - (grad * direction).sum().item()) < 1e-6 * max(1.0, abs(numeric.item()))


def test_samplers_are_deterministic_per_seed():
    model = tiny_model().float()
    short = ddpm.Schedule.linear(50)
    a = ddpm.sample_ancestral(model, short, (2, 1, 8, 8), torch.Generator().manual_seed(3))
    b = ddpm.sample_ancestral(model, short, (2, 1, 8, 8), torch.Generator().manual_seed(3))
    c = ddpm.sample_ancestral(model, short, (2, 1, 8, 8), torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    d1 = ddpm.sample_ddim(model, short, (2, 1, 8, 8), 10, torch.Generator().manual_seed(3))
    d2 = ddpm.sample_ddim(model, short, (2, 1, 8, 8), 10, torch.Generator().manual_seed(3))
    assert torch.equal(d1, d2)


def test_diffusion_solvers_run_and_dps_counts_backward_passes():
    model = tiny_model().float()
    short = ddpm.Schedule.linear(20)
    op = operators.make("inpaint_box", (1, 8, 8))
    y = op.measure(torch.rand(2, 1, 8, 8), [0, 1])
    for method in ("sdedit", "scoreald", "dps"):
        solver = diffusion.DiffusionSolver(model, short, method, t_start=10)
        out = solver(y, op)
        assert out.shape == (2, 1, 8, 8) and torch.isfinite(out).all()
        assert torch.equal(out, solver(y, op))
    assert diffusion.DiffusionSolver(model, short, "dps", t_start=19).nfe == 40


def test_tuning_on_train_is_recorded_and_used(tmp_path, data_root):
    import json

    import pytest

    from invdrift import train
    from invdrift.errors import InvdriftError
    from invdrift.solvers import registry
    from invdrift.solvers.base import Context
    from invdrift.solvers.diffusion_tuning import GRIDS, tune

    overrides = {"width": 8, "T": 20, "batch_size": 8, "steps": 2, "train_limit": 64, "warmup": 1}
    train.train("ddpm", "mnist", overrides, tmp_path / "run", tmp_path, data_root, progress=False)
    ctx = Context("mnist", data_root, tmp_path)
    path = tune(ctx, ["dps"], ["deblur"], images=2, command="test", progress=lambda _: None)
    record = json.loads(path.read_text())
    chosen = record["methods"]["dps"]["deblur"]
    grid = GRIDS["dps"]
    assert chosen["value"] in grid.values and len(chosen["train_psnr"]) == len(grid.values) * len(grid.variants)
    best = f"clamp={chosen['fixed']['clamp']} zeta={chosen['value']}"
    assert chosen["train_psnr"][best] == max(v for v in chosen["train_psnr"].values() if v is not None)
    solver = registry.build("dps", Context("mnist", data_root, tmp_path), operators.make("deblur", (1, 28, 28)))
    assert solver.solve.zeta == chosen["value"] and solver.solve.clamp == chosen["fixed"]["clamp"]
    assert solver.nfe == 40 and chosen["precision"] == "float32"
    tune(ctx, ["dps"], ["deblur"], images=2, command="test values", progress=lambda _: None, values=(0.5, 2.0))
    record = json.loads(path.read_text())
    extended = record["methods"]["dps"]["deblur"]  # the new candidates join the recorded ones (same images)
    new = {"clamp=0 zeta=0.5", "clamp=0 zeta=2.0", "clamp=1 zeta=0.5", "clamp=1 zeta=2.0"}
    assert set(extended["train_psnr"]) == set(chosen["train_psnr"]) | new
    scores = {k: v for k, v in extended["train_psnr"].items() if v is not None}
    best = max(scores, key=scores.get)
    assert f"clamp={extended['fixed']['clamp']} zeta={extended['value']}" == best
    assert extended["earlier_commands"] == ["test"] and record["commands"] == ["test", "test values"]
    tune(ctx, ["dps"], ["deblur"], images=3, command="other images", progress=lambda _: None, values=(0.5,))
    replaced = json.loads(path.read_text())["methods"]["dps"]["deblur"]  # measured on other images: replaced
    assert set(replaced["train_psnr"]) == {"clamp=0 zeta=0.5", "clamp=1 zeta=0.5"} and "earlier_commands" not in replaced
    with pytest.raises(InvdriftError, match="exactly one method"):
        tune(ctx, ["dps", "ddrm"], ["deblur"], images=2, command="x", progress=lambda _: None, values=(1.0,))
    record["ddpm"] = "another.safetensors@0000"
    path.write_text(json.dumps(record))
    with pytest.raises(InvdriftError, match="re-run"):
        registry.build("dps", Context("mnist", data_root, tmp_path), operators.make("deblur", (1, 28, 28)))


def test_a_diverging_setting_is_never_chosen():
    from invdrift.solvers.base import Context
    from invdrift.solvers.tuning import tune_on_train

    class Images(Context):
        def train_images(self, limit=10_000):
            return torch.rand(4, 1, 8, 8)

    def make_solver(value):  # value 3 diverges (NaN); value 1 returns the noisy image, 0 a black one
        return lambda y, op: y * value if value != 3 else y * float("nan")

    best, scores = tune_on_train(Images("mnist"), operators.make("denoise", (1, 8, 8)), make_solver, [3, 0, 1])
    assert best == 1 and scores[3] == float("-inf") and scores[0] < scores[1]


def test_tunings_run_side_by_side_both_land(tmp_path):
    from invdrift.solvers.diffusion_tuning import merged_record

    path = tmp_path / "diffusion-mnist.json"
    entry = {"param": "zeta", "value": 1.0, "command": "tune dps"}
    path.write_text(json.dumps(merged_record(path, "mnist", "ddpm@1", {"dps": {"deblur": entry}})))
    # a second tuning that started before the first wrote its record
    sdedit = {"param": "t_start", "value": 100, "command": "tune sdedit"}
    record = merged_record(path, "mnist", "ddpm@1", {"sdedit": {"deblur": sdedit}})
    assert record["methods"]["dps"]["deblur"] == entry and record["methods"]["sdedit"]["deblur"] == sdedit
    assert record["commands"] == ["tune dps", "tune sdedit"]
    # a record for another DDPM is replaced, not merged
    other = merged_record(path, "mnist", "ddpm@2", {"sdedit": {"deblur": sdedit}})
    assert set(other["methods"]) == {"sdedit"} and other["ddpm"] == "ddpm@2"


def test_a_corrupt_tuning_record_is_one_clear_error(tmp_path):
    import pytest

    from invdrift.errors import InvdriftError
    from invdrift.solvers.diffusion_tuning import merged_record, settings

    path = tmp_path / "diffusion-mnist.json"
    for text in ("{not json", '{"methods": 3}', "[]"):
        path.write_text(text)
        with pytest.raises(InvdriftError, match="not a diffusion tuning record"):
            settings("dps", "deblur", "mnist", tmp_path, "ddpm@1")
        with pytest.raises(InvdriftError, match="not a diffusion tuning record"):
            merged_record(path, "mnist", "ddpm@1", {})


def test_strided_ancestral_step_matches_the_composite_posterior():
    """Two single steps' posterior mean equals the strided step's when x̂₀ is fixed, and t′ = t − 1 is
    the ordinary step; DPS with steps=N counts 2N network evaluations."""
    from invdrift.priors.ddpm import ancestral_step
    from invdrift.solvers.diffusion import DiffusionSolver

    s = ddpm.Schedule.linear()
    g = torch.Generator().manual_seed(0)
    x_t, x0 = torch.randn(4, 1, 8, 8, generator=g, dtype=torch.float64), torch.randn(4, 1, 8, 8, generator=g,
                                                                                      dtype=torch.float64)
    zero = torch.zeros_like(x_t)
    assert torch.equal(ancestral_step(s, x_t, 500, x0, zero), ancestral_step(s, x_t, 500, x0, zero, 499))
    # the strided step is the posterior q(x_{t′} | x_t, x₀) of the composite α_{t→t′} = ᾱ_t/ᾱ_{t′}
    t, tp = 600, 400
    abar_t, abar_p = s.alpha_bars[t], s.alpha_bars[tp]
    mean = ancestral_step(s, x_t, t, x0, zero, tp)
    beta = 1 - abar_t / abar_p
    expected = (abar_p.sqrt() * beta / (1 - abar_t)) * x0 + ((abar_t / abar_p).sqrt() * (1 - abar_p) / (1 - abar_t)) * x_t
    assert torch.allclose(mean, expected)
    assert torch.allclose(ancestral_step(s, x_t, t, x0, zero, -1), x0)  # ᾱ = 1 at the end: x̂₀
    solver = DiffusionSolver(lambda x, t: torch.zeros_like(x), s, "dps", steps=50)
    assert solver.nfe == 100 and solver.timesteps()[0] == 999 and solver.timesteps()[-1] == 0
    assert DiffusionSolver(lambda x, t: torch.zeros_like(x), s, "dps").nfe == 2000


def test_a_grid_without_variants_keeps_plain_labels():
    from invdrift.solvers.diffusion_tuning import Grid

    assert Grid("eta", (0.5, 1.0)).candidates() == {"0.5": {"eta": 0.5}, "1.0": {"eta": 1.0}}
    two = Grid("zeta", (0.1,), ({"clamp": 0}, {"clamp": 1})).candidates()
    assert two == {"clamp=0 zeta=0.1": {"clamp": 0, "zeta": 0.1}, "clamp=1 zeta=0.1": {"clamp": 1, "zeta": 0.1}}


def test_clamped_dps_passes_no_gradient_through_out_of_range_pixels():
    def zero_eps(x, t):  # x̂₀ = x_t/√ᾱ_t
        return torch.zeros_like(x)
    op = operators.make("denoise", (1, 4, 4))
    x_t = torch.full((1, 1, 4, 4), 0.5, dtype=torch.float64)
    x_t[..., 0, :] = 5.0  # first row: x̂₀ far above 1
    y = torch.full((1, 1, 4, 4), 0.2, dtype=torch.float64)
    _, plain, _ = diffusion.dps_gradient(zero_eps, S, x_t, 10, y, op)
    _, clamped, _ = diffusion.dps_gradient(zero_eps, S, x_t, 10, y, op, clamp=True)
    assert (plain[..., 0, :].abs() > 0).all() and (clamped[..., 0, :] == 0).all()
    assert torch.allclose(plain[..., 1:, :], clamped[..., 1:, :])


def test_sdedit_on_a_noisy_image_adds_only_the_missing_noise():
    g = torch.Generator().manual_seed(0)
    start = torch.zeros(1, 1, 200, 200, dtype=torch.float64)  # a flat image …
    carried = 0.3
    noisy = start + carried * torch.randn(start.shape, generator=g, dtype=torch.float64)  # … that carries noise
    t = S.t_for_noise(0.5)
    x_t = diffusion.sdedit_start(S, noisy, t, carried, torch.randn(start.shape, generator=g, dtype=torch.float64))
    level = (x_t / S.alpha_bars[t].sqrt()).std().item()
    assert abs(level - ddpm.noise_to_signal(S, t)) < 0.01  # total noise = the level of step t
    low = S.t_for_noise(0.1)  # asked to start below the carried noise: starts at the matching step, adds none
    assert torch.equal(diffusion.sdedit_start(S, noisy, low, carried, torch.ones_like(noisy)),
                       S.alpha_bars[low].sqrt().item() * noisy)
    solver = diffusion.DiffusionSolver(tiny_model().float(), S, "sdedit", t_start=10, carried_noise=carried)
    assert solver.t_start == S.t_for_noise(carried) > 10


def test_bf16_inference_returns_float32_close_to_float32():
    from invdrift.precision import with_precision

    model = tiny_model().float()
    x, t = torch.randn(2, 1, 8, 8), torch.full((2,), 300)
    out = with_precision(model, True)(x, t)
    assert out.dtype == torch.float32 and with_precision(model, False) is model
    reference = model(x, t)
    assert (out - reference).abs().max() < 0.05 * reference.abs().max()


def test_settings_table_says_whether_the_grid_brackets_the_choice():
    from invdrift.solvers.diffusion_tuning import bracket, label_settings, settings_table

    assert label_settings("clamp=1 zeta=0.3", "zeta") == {"clamp": 1, "zeta": 0.3}
    assert label_settings("100", "t_start") == {"t_start": 100}
    inside = {"param": "zeta", "value": 0.3, "fixed": {"clamp": 1},
              "train_psnr": {"clamp=1 zeta=0.1": 20.0, "clamp=1 zeta=0.3": 21.0, "clamp=1 zeta=1.0": None,
                             "clamp=0 zeta=3.0": 19.0}}
    edge = {"param": "zeta", "value": 1.0, "fixed": {"clamp": 0},
            "train_psnr": {"clamp=0 zeta=0.3": 20.0, "clamp=0 zeta=1.0": 21.0, "clamp=1 zeta=3.0": 19.0}}
    low = {"param": "t_start", "value": 10, "train_psnr": {"10": 20.0, "25": 19.0}}
    assert [bracket(e) for e in (inside, edge, low)] == ["bracketed", "upper edge", "lower edge"]
    table = settings_table({"methods": {"dps": {"sr4": inside, "deblur": edge}, "sdedit": {"sr2": low}}})
    assert table[2] == "| dps | sr4 | zeta=0.3 clamp=1 | 21.00 | bracketed | — | float32 |"
    assert "| sdedit | sr2 | t_start=10 | 20.00 | lower edge |" in table[4]
