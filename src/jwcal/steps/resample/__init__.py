"""resample: drizzle images onto a distortion-free tangent-plane grid (``_i2d``)."""

from .resample_step import ResampleStep

__all__ = ["ResampleStep"]
