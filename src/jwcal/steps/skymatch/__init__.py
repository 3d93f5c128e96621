"""skymatch: sky levels of the exposures of an association, matched or measured."""

from .skymatch_step import SkyMatchStep

__all__ = ["SkyMatchStep"]
