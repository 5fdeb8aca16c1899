"""Generative priors: the drifting field and loss, the DDPM schedule and objectives."""
