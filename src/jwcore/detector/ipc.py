"""Inter-pixel capacitance (IPC) correction: convolution with a deconvolution kernel."""

from __future__ import annotations

import numpy as np

from .._validate import as_c, check_threads
from . import _ipc

__all__ = ["convolve_ipc"]


def convolve_ipc(
    data: np.ndarray,
    kernel: np.ndarray,
    *,
    region: tuple[int, int, int, int] | None = None,
    n_threads: int = 1,
) -> None:
    """Convolve every image of ``data`` in place with an IPC deconvolution kernel.

    Only the science ``region`` is convolved, with pixels outside it (reference pixels)
    taken as 0 and left unchanged:
    ``out[y, x] = sum_{j, i} k[j, i] * in[y + ky//2 - j, x + kx//2 - i]``.  The terms are
    added in single precision in the order of the JWST IPC step (row-major over the kernel,
    the centre last), which makes the result identical to it.

    Parameters
    ----------
    data : ndarray of shape (..., ny, nx), float32
        Images (groups of ramps), convolved in place (writeable, C-contiguous, native).
    kernel : ndarray of shape (ky, kx) or (ky, kx, ny, nx), float32
        The deconvolution kernel: one for the whole image, or one per pixel (indexed by the
        output pixel, already cut to the data's subarray).
    region : (y0, y1, x0, x1), optional
        Rows ``y0:y1`` and columns ``x0:x1`` to convolve (default: the whole image).
    n_threads : int
        Threads to use; results do not depend on it.
    """
    n_threads = check_threads(n_threads)
    if not isinstance(data, np.ndarray) or data.ndim < 2:
        raise ValueError("data must be an array of images (at least 2-D)")
    if (
        data.dtype != np.float32
        or not data.dtype.isnative
        or not data.flags.c_contiguous
        or not data.flags.writeable
    ):
        raise ValueError("data must be a writeable C-contiguous native float32 array")
    ny, nx = data.shape[-2:]
    k = as_c(kernel, np.float32, name="kernel")
    if k.ndim == 2:
        kernel4d = False
    elif k.ndim == 4:
        if k.shape[2:] != (ny, nx):
            raise ValueError(
                f"a 4-D IPC kernel must cover the image: shape {k.shape}, image {(ny, nx)}"
            )
        kernel4d = True
    else:
        raise ValueError(f"the IPC kernel must be 2-D or 4-D, got {k.ndim}-D")
    y0, y1, x0, x1 = (0, ny, 0, nx) if region is None else (int(v) for v in region)
    if not (0 <= y0 <= y1 <= ny and 0 <= x0 <= x1 <= nx):
        raise ValueError(f"region {(y0, y1, x0, x1)} does not fit an image of {(ny, nx)}")
    planes = data.reshape((-1, ny, nx))
    _ipc.convolve_planes(
        planes, k.ravel(), k.shape[0], k.shape[1], kernel4d, y0, y1, x0, x1, n_threads
    )
