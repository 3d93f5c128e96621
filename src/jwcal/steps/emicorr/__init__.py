"""emicorr: MIRI electromagnetic-interference correction."""

from .emicorr_step import EmiCorrStep

__all__ = ["EmiCorrStep"]
