"""assign_wcs: attach the world coordinate system (gwcs) of an imaging exposure."""

from .assign_wcs_step import AssignWcsStep

__all__ = ["AssignWcsStep"]
