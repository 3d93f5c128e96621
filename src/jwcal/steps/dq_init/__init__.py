"""dq_init: initialise the pixel DQ of an exposure from the MASK reference file."""

from .dq_init_step import DQInitStep

__all__ = ["DQInitStep"]
