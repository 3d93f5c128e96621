"""wfs_combine: combine the two dithered images of WFS&C pairs (calwebb_wfs-image3)."""

from .wfs_combine_step import WfsCombineStep

__all__ = ["WfsCombineStep"]
