"""linearity: classical non-linearity correction."""

from .linearity_step import LinearityStep

__all__ = ["LinearityStep"]
