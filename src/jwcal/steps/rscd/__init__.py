"""rscd: flag the groups of MIRI ramps affected by reset-switch charge decay."""

from .rscd_step import RscdStep

__all__ = ["RscdStep"]
