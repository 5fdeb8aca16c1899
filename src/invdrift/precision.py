"""Inference in bfloat16: a network wrapper that runs its forward pass under CPU autocast, and the same
as a context for whole solvers (the trained restorers).

On CPUs with native bf16 (AVX-512 BF16, AMX) a DDPM forward and backward pass is about twice as fast;
weights stay float32 and outputs are returned as float32, so the solvers' arithmetic is unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import sys

import torch


class BF16Inference(torch.nn.Module):
    """`network(*args)` computed under torch.autocast("cpu", bfloat16), returned as float32."""

    def __init__(self, network: torch.nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        with bf16_autocast(True):
            return self.network(*args).float()


def with_precision(network: torch.nn.Module, bf16: bool) -> torch.nn.Module:
    """The network itself (float32) or wrapped to run in bf16."""
    return BF16Inference(network) if bf16 else network


def bf16_autocast(bf16: bool) -> contextlib.AbstractContextManager:
    """torch.autocast("cpu", bfloat16) if asked, else a context that changes nothing."""
    return torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()


def precision_name(bf16: bool) -> str:
    return "bf16" if bf16 else "float32"


@functools.cache
def native_bf16() -> bool:
    """Whether oneDNN computes bf16 natively on this CPU (AVX-512 or AMX); elsewhere autocast emulates it,
    many times slower than float32."""
    check = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    try:
        return bool(check()) if check is not None else True
    except RuntimeError:
        return True


def warn_if_emulated(bf16: bool) -> None:
    """One line on stderr (once per process) when bf16 is asked for on a CPU that only emulates it."""
    if bf16 and not native_bf16():
        _warn_emulated()


@functools.cache
def _warn_emulated() -> None:
    print("invdrift: warning: this CPU has no native bf16 (AVX-512 BF16 or AMX); bf16 runs emulated and "
          "much slower than float32 here: drop --bf16 / set bf16=false", file=sys.stderr, flush=True)
