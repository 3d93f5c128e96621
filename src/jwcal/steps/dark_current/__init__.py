"""dark_current: subtract the dark current."""

from .dark_current_step import DarkCurrentStep

__all__ = ["DarkCurrentStep"]
