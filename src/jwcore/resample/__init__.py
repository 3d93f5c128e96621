"""Resampling: the drizzle algorithm, blot, and fast pixel maps."""

from .drizzle import (
    INTERPOLATIONS,
    KERNELS,
    blot_image,
    drizzle_add_image,
    estimate_pixel_scale_ratio,
)
from .pixmap import (
    DEFAULT_STEP,
    coarse_nodes,
    interpolate_grid,
    pixmap_from_function,
    tan_pixel_to_world,
    tan_world_to_pixel,
)

__all__ = [
    "DEFAULT_STEP",
    "INTERPOLATIONS",
    "KERNELS",
    "blot_image",
    "coarse_nodes",
    "drizzle_add_image",
    "estimate_pixel_scale_ratio",
    "interpolate_grid",
    "pixmap_from_function",
    "tan_pixel_to_world",
    "tan_world_to_pixel",
]
