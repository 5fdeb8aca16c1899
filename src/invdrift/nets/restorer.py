"""Conditional restorer x̂ = A†y + U-Net(ε, conditioning channels): one network evaluation per sample."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..conditioning import condition, condition_channels
from ..operators import Operator
from .denoiser import timestep_embedding
from .unet import ResBlock, UNet

SIGMA_FLOOR = 1e-3  # noise levels under it are embedded as it (a noiseless operator)


def noise_level_steps(sigma: torch.Tensor) -> torch.Tensor:
    """A noise level σ (in [0, 1] pixel units) as the continuous 'step' the sinusoidal embedding takes:
    100 · ln(σ / SIGMA_FLOOR), so σ 0.005 … 0.3 spans about 160 … 570 and each factor e adds 100."""
    return 100.0 * torch.log(sigma.clamp_min(SIGMA_FLOOR) / SIGMA_FLOOR)


def added_by_sigma_embedding(key: str) -> bool:
    """Is this weight's key one that `sigma_embedding` adds (its MLP, or a ResBlock's embedding bias)?"""
    return key.startswith("sigma_embed.") or ".emb." in key


def input_noise(n: int, channels: int, h: int, w: int, downsample: int = 1,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """The restorer's input noise [n, channels, h, w]: standard normal drawn at (h, w) / `downsample` and
    repeated over `downsample` × `downsample` blocks (1: independent per pixel, the same draw as before)."""
    if h % downsample or w % downsample:
        raise ValueError(f"noise_downsample {downsample} does not divide the image size {h}×{w}")
    noise = torch.randn(n, channels, h // downsample, w // downsample, generator=generator)
    return noise if downsample == 1 else F.interpolate(noise, scale_factor=downsample, mode="nearest")


class Restorer(nn.Module):
    """Predicts a residual on A†y from noise ε and the conditioning channels.

    `stochastic=False` (the regression baseline) feeds zeros instead of noise: same architecture.
    `noise_downsample` r: ε is drawn at 1/r of the image's resolution (`input_noise`).
    `sigma_embedding` (operator conditioning only): the noise level, read from the noise-level map, is also
    embedded (sinusoidal, then an MLP, as the DDPM's time step) and added as a per-sample bias in every
    ResBlock. Those biases start at zero, so weights without the embedding load and keep their function.
    `output_gain`: the U-Net has one more output channel, a log-gain a per pixel, and the residual it adds
    is r · exp(a), so that a residual of any size (σ-small on a nearly noiseless operator, large in a hole)
    is predicted to the same relative precision. a starts at zero (gain 1): weights without it keep their
    function (`with_output_gain`).
    """

    def __init__(self, channels: int = 1, width: int = 32, stochastic: bool = True, conditioning: str = "task",
                 mid: str = "res", noise_downsample: int = 1, sigma_embedding: bool = False,
                 output_gain: bool = False):
        super().__init__()
        if sigma_embedding and conditioning != "operator":
            raise ValueError("sigma_embedding needs the operator conditioning (its noise-level map)")
        self.channels = channels
        self.stochastic = stochastic
        self.noise_downsample = noise_downsample
        self.conditioning = conditioning  # conditioning.CONDITIONINGS
        self.width = width
        emb_dim = 4 * width if sigma_embedding else 0
        self.sigma_embed = nn.Sequential(nn.Linear(width, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim)) \
            if sigma_embedding else None
        self.output_gain = output_gain
        self.net = UNet(condition_channels(channels, conditioning) + channels, channels + int(output_gain), width,
                        emb_dim, mid=mid)
        if output_gain:
            last = self.net.out[-1]
            with torch.no_grad():
                last.weight[channels:].zero_()
                last.bias[channels:].zero_()
        for block in self.net.modules():
            if isinstance(block, ResBlock) and block.emb is not None:
                nn.init.zeros_(block.emb.weight)
                nn.init.zeros_(block.emb.bias)

    def forward(self, noise: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if not self.stochastic:
            noise = torch.zeros_like(noise)
        pinv = cond[:, : self.channels]
        emb = None
        if self.sigma_embed is not None:  # the noise-level map is the last conditioning channel
            sigma = cond[:, -1].mean(dim=(-2, -1))
            emb = self.sigma_embed(timestep_embedding(noise_level_steps(sigma), self.width).to(cond.dtype))
        out = self.net(torch.cat([noise, cond], dim=1), emb)
        if self.output_gain:
            return pinv + out[:, : self.channels] * out[:, self.channels:].exp()
        return pinv + out

    def restore(self, y: torch.Tensor, op: Operator, samples: int = 1,
                generator: torch.Generator | None = None, noise_scale: float = 1.0) -> torch.Tensor:
        """Posterior samples [samples, N, C, H, W] for measurements y; the input noise is
        noise_scale · ε (1: as trained)."""
        cond = condition(y, op, self.conditioning)
        n, _, h, w = cond.shape
        outs = []
        for _ in range(samples):
            noise = noise_scale * input_noise(n, self.channels, h, w, self.noise_downsample, generator)
            outs.append(self(noise, cond))
        return torch.stack(outs)


def with_output_gain(state: dict[str, torch.Tensor], channels: int) -> dict[str, torch.Tensor]:
    """Weights of a restorer without `output_gain` in the shapes of one with it: the log-gain channel of the
    last convolution is zero (gain 1), so the function is unchanged."""
    weight, bias = state["net.out.2.weight"], state["net.out.2.bias"]
    if weight.shape[0] != channels:
        raise ValueError(f"the last convolution has {weight.shape[0]} outputs, expected {channels} (no gain yet)")
    return state | {"net.out.2.weight": torch.cat([weight, torch.zeros_like(weight[:1])]),
                    "net.out.2.bias": torch.cat([bias, torch.zeros_like(bias[:1])])}
