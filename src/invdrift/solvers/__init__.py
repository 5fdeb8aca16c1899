"""Restoration methods, each callable as `solver(y, operator) -> x̂`; see `registry`."""
