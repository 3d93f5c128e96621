"""Jump (cosmic-ray) detection in up-the-ramp data: two-point differences, snowballs, showers."""

from .twopoint import MODES, TwoPointResult, detect_jumps_twopoint

__all__ = ["MODES", "TwoPointResult", "detect_jumps_twopoint"]
