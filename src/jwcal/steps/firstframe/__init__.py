"""firstframe: flag the first group of MIRI ramps."""

from .firstframe_step import FirstFrameStep

__all__ = ["FirstFrameStep"]
