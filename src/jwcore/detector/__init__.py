"""Per-pixel detector corrections of stage 1."""

from .saturation import ATOD_LIMIT, dilate_mask, flag_saturation

__all__ = ["ATOD_LIMIT", "dilate_mask", "flag_saturation"]
