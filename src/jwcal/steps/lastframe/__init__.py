"""lastframe: flag the last group of MIRI ramps."""

from .lastframe_step import LastFrameStep

__all__ = ["LastFrameStep"]
