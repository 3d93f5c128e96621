"""Jump (cosmic-ray) detection in up-the-ramp data: two-point differences, snowballs, showers."""

from .events import ellipse_mask, find_ellipses, flag_showers, flag_snowballs
from .twopoint import MODES, TwoPointResult, detect_jumps_twopoint

__all__ = [
    "MODES",
    "TwoPointResult",
    "detect_jumps_twopoint",
    "ellipse_mask",
    "find_ellipses",
    "flag_showers",
    "flag_snowballs",
]
