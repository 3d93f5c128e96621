"""group_scale: rescale groups averaged on board with a divisor other than NFRAMES."""

from .group_scale_step import GroupScaleStep

__all__ = ["GroupScaleStep"]
