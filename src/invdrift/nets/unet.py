"""A compact U-Net (two downsamplings, residual blocks, GroupNorm/SiLU) for image-to-image maps.

`mid="attention"` makes the lowest level ResBlock → self-attention → ResBlock, as in DDPM U-Nets. The
added layers start as the identity (their last convolution is zero), so weights of the plain U-Net
(`mid="res"`) load into it and compute the same function (`GROWN_BY_ATTENTION` names the new keys).
"""

from __future__ import annotations

import torch
from torch import nn


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, channels // 4), channels)


class ResBlock(nn.Module):
    """GN–SiLU–conv twice, with a 1×1 skip when the width changes; optional per-sample bias (embedding)."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int = 0):
        super().__init__()
        self.in_layers = nn.Sequential(_norm(c_in), nn.SiLU(), nn.Conv2d(c_in, c_out, 3, padding=1))
        self.emb = nn.Linear(emb_dim, c_out) if emb_dim else None
        self.out_layers = nn.Sequential(_norm(c_out), nn.SiLU(), nn.Conv2d(c_out, c_out, 3, padding=1))
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor | None = None) -> torch.Tensor:
        h = self.in_layers(x)
        if self.emb is not None and emb is not None:
            h = h + self.emb(emb)[:, :, None, None]
        return self.skip(x) + self.out_layers(h)


class SelfAttention(nn.Module):
    """Residual multi-head self-attention over the pixels of a feature map; starts as the identity."""

    def __init__(self, channels: int, heads: int = 4):
        super().__init__()
        self.heads = heads
        self.norm = _norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(n, 3, self.heads, c // self.heads, h * w).transpose(-1, -2).unbind(1)
        out = nn.functional.scaled_dot_product_attention(q, k, v)  # [n, heads, h·w, c/heads]
        return x + self.proj(out.transpose(-1, -2).reshape(n, c, h, w))


MIDS = ("res", "attention")
GROWN_BY_ATTENTION = ("mid_attention.", "mid_out.")  # keys `mid="attention"` adds to the plain U-Net


class UNet(nn.Module):
    """in_ch → out_ch at full resolution; widths w, 2w, 4w; an optional embedding vector per sample;
    `mid` one of MIDS."""

    def __init__(self, in_ch: int, out_ch: int, width: int = 32, emb_dim: int = 0, mid: str = "res"):
        super().__init__()
        if mid not in MIDS:
            raise ValueError(f"unknown mid {mid!r}: use one of {', '.join(MIDS)}")
        w, self.mid_kind = width, mid
        self.inc = nn.Conv2d(in_ch, w, 3, padding=1)
        self.enc0 = ResBlock(w, w, emb_dim)
        self.down1 = nn.Conv2d(w, 2 * w, 3, stride=2, padding=1)
        self.enc1 = ResBlock(2 * w, 2 * w, emb_dim)
        self.down2 = nn.Conv2d(2 * w, 4 * w, 3, stride=2, padding=1)
        self.mid = ResBlock(4 * w, 4 * w, emb_dim)
        if mid == "attention":
            self.mid_attention = SelfAttention(4 * w)
            self.mid_out = ResBlock(4 * w, 4 * w, emb_dim)
            nn.init.zeros_(self.mid_out.out_layers[-1].weight)
            nn.init.zeros_(self.mid_out.out_layers[-1].bias)
        self.up2 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(4 * w, 2 * w, 3, padding=1))
        self.dec1 = ResBlock(4 * w, 2 * w, emb_dim)
        self.up1 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(2 * w, w, 3, padding=1))
        self.dec0 = ResBlock(2 * w, w, emb_dim)
        self.out = nn.Sequential(_norm(w), nn.SiLU(), nn.Conv2d(w, out_ch, 3, padding=1))

    def forward(self, x: torch.Tensor, emb: torch.Tensor | None = None) -> torch.Tensor:
        h0 = self.enc0(self.inc(x), emb)
        h1 = self.enc1(self.down1(h0), emb)
        h = self.mid(self.down2(h1), emb)
        if self.mid_kind == "attention":
            h = self.mid_out(self.mid_attention(h), emb)
        h = self.dec1(torch.cat([self.up2(h)[..., : h1.shape[-2], : h1.shape[-1]], h1], 1), emb)
        h = self.dec0(torch.cat([self.up1(h)[..., : h0.shape[-2], : h0.shape[-1]], h0], 1), emb)
        return self.out(h)
