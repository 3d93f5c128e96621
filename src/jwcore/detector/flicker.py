"""1/f ("flicker") noise: median stripes of the background along one image axis."""

from __future__ import annotations

import numpy as np

from .._validate import as_c, check_threads
from . import _linemedian

__all__ = ["masked_line_medians"]


def masked_line_medians(
    image: np.ndarray,
    mask: np.ndarray,
    axis: int,
    *,
    fill_value: float = 0.0,
    n_threads: int = 1,
) -> np.ndarray:
    """Median of the unmasked values of each line of an image.

    The median of ``numpy.ma.median(masked, axis=axis)`` in single precision, bit for bit:
    the middle value, or the two middle values summed and halved; NaN if a used value is
    NaN; ``fill_value`` for a line with no used value.

    Parameters
    ----------
    image : ndarray of shape (ny, nx), float32
    mask : ndarray of shape (ny, nx), bool
        True for the values to use.
    axis : int
        1: one median per row (along x); 0: one per column (along y).
    fill_value : float
        Median of a line with no used value.
    n_threads : int
        Threads to use; results do not depend on it.

    Returns
    -------
    ndarray of shape (ny,) for axis 1, (nx,) for axis 0, float32
    """
    n_threads = check_threads(n_threads)
    img = as_c(image, np.float32, name="image")
    if img.ndim != 2:
        raise ValueError(f"image must be 2-D, got {img.ndim}-D")
    use = as_c(np.asarray(mask, dtype=bool), np.uint8, img.shape, "mask")
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1, got {axis}")
    out = np.empty(img.shape[0] if axis == 1 else img.shape[1], dtype=np.float32)
    _linemedian.masked_line_medians(img, use, int(axis), float(fill_value), out, n_threads)
    return out
