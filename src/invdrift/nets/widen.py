"""Net2Wider for the plain U-Net: weights of width w become weights of width 2w computing the same function.

Every hidden channel i is duplicated next to itself (channels 2i and 2i + 1), so each GroupNorm group of the
wide network holds its narrow group's channels twice and sees the same mean and variance. A weight that reads
a duplicated input gives each copy half of the narrow weight, plus and minus a perturbation: the two copies
carry equal values, so the sum, and with it the function, is unchanged. The perturbation is drawn afresh for
every output channel, so the two copies of an output receive different gradients and can move apart in
training (without it they would stay equal forever, and the wide network would be the narrow one).
"""

from __future__ import annotations

import torch

from .unet import _norm


def groups_kept(width: int) -> bool:
    """True when GroupNorm splits widths w, 2w, 4w and their doubles into the same number of groups (w ≥ 32)."""
    return all(_norm(c).num_groups == _norm(2 * c).num_groups for c in (width, 2 * width, 4 * width))


def widen_tensor(narrow: torch.Tensor, shape: torch.Size, perturbation: float,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """One parameter of the narrow network in the wide network's `shape`: axis 0 (outputs) doubled by
    duplication, axis 1 (inputs of a weight) doubled by halving, ± `perturbation` × the tensor's std."""
    if narrow.shape == shape:
        return narrow.clone()
    doubled = {d for d, (a, b) in enumerate(zip(narrow.shape, shape)) if b == 2 * a}
    kept = {d for d, (a, b) in enumerate(zip(narrow.shape, shape)) if b == a}
    if len(narrow.shape) != len(shape) or len(doubled | kept) != len(shape) or not doubled <= {0, 1}:
        raise ValueError(f"cannot widen a tensor of shape {tuple(narrow.shape)} to {tuple(shape)}")
    wide = narrow.repeat_interleave(2, dim=0) if 0 in doubled else narrow
    if 1 in doubled:
        half = wide / 2
        noise = torch.randn(half.shape, generator=generator, dtype=half.dtype) * perturbation * narrow.std()
        wide = torch.stack([half + noise, half - noise], dim=2).flatten(1, 2)
    return wide


def widen_state(narrow: dict[str, torch.Tensor], wide_shapes: dict[str, torch.Size], perturbation: float = 0.1,
                generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """The narrow state dict in the shapes of the wide one (same keys); tensors in sorted key order, so that
    one generator seed gives one result."""
    if set(narrow) != set(wide_shapes):
        raise ValueError("the narrow and wide networks have different parameters")
    return {key: widen_tensor(narrow[key], wide_shapes[key], perturbation, generator) for key in sorted(narrow)}
