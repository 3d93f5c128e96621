"""tweakreg: align exposures to each other (and to a reference catalog) by their sources."""

from .tweakreg_step import TweakRegStep

__all__ = ["TweakRegStep"]
