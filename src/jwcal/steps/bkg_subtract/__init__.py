"""bkg_subtract (image2's ``background`` step): subtract associated background exposures."""

from .background_step import BackgroundStep

__all__ = ["BackgroundStep"]
