"""photom: convert count rates (DN/s) to surface brightness (MJy/sr)."""

from .photom_step import PhotomStep

__all__ = ["PhotomStep"]
