"""Comma lists of names with parameters: 'ddrm:steps=50,eta=0.5,dps' or 'deblur:std=2,sigma=0.1,sr4'."""

from __future__ import annotations


def split_specs(text: str) -> list[str]:
    """Comma list → specs; a comma followed by `key=value` continues the previous name's parameters."""
    specs: list[str] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if "=" in part and ":" not in part and specs:
            specs[-1] += "," + part
        else:
            specs.append(part)
    return specs
