"""clean_flicker_noise: remove 1/f (flicker) noise from ramps or rate images."""

from .clean_flicker_noise_step import CleanFlickerNoiseStep

__all__ = ["CleanFlickerNoiseStep"]
