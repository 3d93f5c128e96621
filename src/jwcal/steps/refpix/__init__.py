"""refpix: remove bias drifts and 1/f noise seen by the reference pixels."""

from .refpix_step import RefPixStep

__all__ = ["RefPixStep"]
