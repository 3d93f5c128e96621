"""outlier_detection: flag pixels of each exposure that disagree with the others."""

from .outlier_detection_step import OutlierDetectionStep

__all__ = ["OutlierDetectionStep"]
