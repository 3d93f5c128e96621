"""flat_field: divide imaging data by the flat field."""

from .flat_field_step import FlatFieldStep

__all__ = ["FlatFieldStep"]
