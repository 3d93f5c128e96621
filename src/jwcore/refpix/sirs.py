"""Kernels of the Simple Improved Reference Subtraction (SIRS) of 1/f noise.

SIRS (the optimised convolution kernels of T. Brandt and B. Rauscher, adopted by the JWST
pipeline in 2024, spacetelescope/jwst#8482) predicts the 1/f noise of each amplifier from
the left and right reference columns by convolution with kernels whose Fourier coefficients
(gamma for the left columns, zeta for the right) were fitted on darks and are stored in the
SIRSKERNEL reference file.  This module turns the coefficients into
the spatial kernels :func:`jwcore.refpix.subtract_refpix_nir` applies.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_sirs_kernels"]


def _spatial_kernel(coeffs: np.ndarray, halfwidth: int, window: np.ndarray) -> np.ndarray:
    n = coeffs.size - 1
    # the coefficients are a one-sided spectrum of length n + 1: back to 2n samples, with
    # the zero lag moved to the middle (index n)
    lags = np.fft.fftshift(np.fft.irfft(coeffs))
    # Python slicing as the official code does it, including its clipping when halfwidth > n
    core = lags[n - halfwidth : n + halfwidth + 1]
    return np.convolve(core, window, mode="same")


def make_sirs_kernels(
    gamma: np.ndarray, zeta: np.ndarray, gaussmooth: float = 1.0, halfwidth: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Left and right SIRS convolution kernels, one per amplifier.

    Each kernel is the inverse real FFT of the coefficients, cut to ``2 * halfwidth + 1``
    lags around zero and smoothed by a normalised Gaussian of width ``gaussmooth`` (a
    low-pass filter), exactly as the JWST refpix step builds them.

    Parameters
    ----------
    gamma, zeta : ndarray of shape (nchan, nfreq), complex
        Fourier coefficients of the left and right kernels (the detector's entry of the
        SIRSKERNEL reference file).
    gaussmooth : float
        Width (sigma) of the Gaussian smoothing, in pixels.
    halfwidth : int
        Half-width of the kernels, in pixels.

    Returns
    -------
    left, right : ndarray of shape (nchan, klen), float64
    """
    gamma = np.atleast_2d(np.asarray(gamma))
    zeta = np.atleast_2d(np.asarray(zeta))
    if gamma.shape != zeta.shape:
        raise ValueError(f"gamma {gamma.shape} and zeta {zeta.shape} differ in shape")
    halfwidth = int(halfwidth)
    if halfwidth < 0:
        raise ValueError("halfwidth must not be negative")
    if not gaussmooth > 0:
        raise ValueError("gaussmooth must be positive")
    x = np.arange(-halfwidth, halfwidth + 1)
    window = np.exp(-(x**2) / (2 * gaussmooth**2))
    window /= np.sum(window)
    left = np.array([_spatial_kernel(g, halfwidth, window) for g in gamma])
    right = np.array([_spatial_kernel(z, halfwidth, window) for z in zeta])
    return left, right
