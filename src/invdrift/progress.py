"""Progress bars for long loops: shown on a terminal, silent when output is piped or logged."""

from __future__ import annotations

from typing import Iterable, TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], desc: str, total: int | None = None) -> Iterable[T]:
    """`items`, with a bar on stderr only when stderr is a terminal (tqdm's disable=None)."""
    return tqdm(items, desc=desc, total=total, disable=None, leave=False)
