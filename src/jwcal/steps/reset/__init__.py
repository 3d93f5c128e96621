"""reset: MIRI reset-anomaly correction."""

from .reset_step import ResetStep

__all__ = ["ResetStep"]
