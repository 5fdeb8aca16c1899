"""A one-line description of the machine, printed next to every timing."""

from __future__ import annotations

import os
import platform

import torch

from .errors import InvdriftError


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(threads: int | None = None) -> str:
    """E.g. '2 cores, AMD EPYC 7B13, no GPU, torch 2.13.0+cpu'; names the thread count when it is not all cores."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    cores = os.cpu_count() or 1
    used = f" ({threads} thread{'s' if threads > 1 else ''} used)" if threads and threads < cores else ""
    return f"{cores} cores{used}, {cpu_model()}, {gpu}, torch {torch.__version__}"


def env_threads() -> int | None:
    """$OMP_NUM_THREADS as a positive integer, else None."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def compute_threads(requested: int | None = None) -> int:
    """Threads for timed work: the ones asked for, else $OMP_NUM_THREADS, else all cores (the protocol's rule)."""
    cores = os.cpu_count() or 1
    if requested is None:
        requested = env_threads()
    if requested is None:
        return cores
    if requested < 1:
        raise InvdriftError(f"--threads must be at least 1, got {requested}")
    return min(requested, cores)
