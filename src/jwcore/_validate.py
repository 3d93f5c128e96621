"""Input coercion shared by the public wrappers of jwcore."""

from __future__ import annotations

import operator

import numpy as np


def as_c(a, dtype, shape=None, name="array") -> np.ndarray:
    """A native-byte-order, C-contiguous array of ``dtype`` (copies only when needed).

    FITS arrays arrive big-endian; the kernels need native order and contiguity.
    """
    arr = np.ascontiguousarray(a, dtype=np.dtype(dtype).newbyteorder("="))
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(shape)}")
    return arr


def check_threads(n_threads) -> int:
    """Validate a thread count (a positive integer)."""
    try:
        n = operator.index(n_threads)
    except TypeError:
        raise TypeError(f"n_threads must be an integer, got {n_threads!r}") from None
    if n < 1:
        raise ValueError(f"n_threads must be at least 1, got {n}")
    return n
