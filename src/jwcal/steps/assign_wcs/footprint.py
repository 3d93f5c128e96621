"""S_REGION: the sky polygon of an image's bounding box."""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

__all__ = ["footprint", "s_region"]


def footprint(forward, bbox) -> np.ndarray:
    """(4, 2) RA, Dec (deg, RA in [0, 360)) of the bounding-box corners (pixel edges, not
    centres), clockwise from the bottom left as gwcs orders them."""
    (x0, x1), (y0, y1) = bbox
    x = np.array([x0, x0, x1, x1], dtype=float)
    y = np.array([y0, y1, y1, y0], dtype=float)
    ra, dec = forward(x, y)
    return np.column_stack([np.mod(ra, 360.0), dec])


def s_region(forward, bbox) -> str | None:
    """``POLYGON ICRS  ra1 dec1 ...`` of the footprint, or None when a corner has no sky
    position (then the keyword is left as it was)."""
    corners = footprint(forward, bbox)
    text = "POLYGON ICRS  " + " ".join(f"{v:.9f}" for v in corners.ravel())
    if "nan" in text:
        log.info("There are NaNs in s_region, S_REGION not updated.")
        return None
    return text
