"""ASDF transform trees (the WCS of imaging exposures) built, evaluated and written with
numpy and PyYAML alone: see :mod:`jwcal.transforms.wcs`."""

from .evaluate import Unsupported, compile_transform
from .tree import Tagged
from .wcs import TreeWCS

__all__ = ["Tagged", "TreeWCS", "Unsupported", "compile_transform"]
