"""Quicklook PNGs of images and DQ arrays (matplotlib when installed, else plain zlib PNGs)."""

from .images import asinh_stretch, save_dq_png, save_image_png, write_grey_png

__all__ = ["save_image_png", "save_dq_png", "asinh_stretch", "write_grey_png"]
