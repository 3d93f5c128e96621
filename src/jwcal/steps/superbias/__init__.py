"""superbias: subtract the superbias."""

from .superbias_step import SuperBiasStep

__all__ = ["SuperBiasStep"]
