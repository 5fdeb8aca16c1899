"""invdrift: image restoration with generative priors (drifting models, DDPM, classical baselines)."""

__version__ = "0.1.0"
