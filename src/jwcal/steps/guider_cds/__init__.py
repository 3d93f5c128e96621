"""guider_cds: count rates of FGS guide-mode data by correlated double sampling."""

from .guider_cds_step import GuiderCdsStep

__all__ = ["GuiderCdsStep"]
