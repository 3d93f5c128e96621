"""picture_frame: NIRSpec thermal "picture frame" correction."""

from .picture_frame_step import PictureFrameStep

__all__ = ["PictureFrameStep"]
