"""Linear fits between matched positions, with iterative sigma clipping.

The model is ``ref = M @ img + shift``; the geometries are tweakwcs': ``shift`` (M = I),
``rshift`` (rotation), ``rscale`` (rotation and one scale), ``general`` (any 2 x 2 M).
Rotation and scale are found in closed form by treating the centred positions as complex
numbers (``z_ref = a z_img``, ``a = s exp(i theta)``), the full matrix by least squares;
the shift is then exact for the uncentred positions (no approximation about a centre).
Clipping: ``nclip`` times, drop the points whose residual norm exceeds ``sigma`` times the
fit's RMSE, unless that would leave fewer than the geometry's minimum or change nothing.
jwst clips at ``sigma`` times the plain RMSE (sqrt of the mean squared residual norm);
here the RMSE is estimated robustly from the median residual norm (times
``1/sqrt(ln 2)``, exact for Gaussian residuals: tweakwcs' ``mad`` statistic), because a
few mismatched pairs (anywhere within ``tolerance``, 20 pixels by default) inflate the plain
RMSE enough to protect themselves and pull the rotation by tenths of a degree on a
subarray.  The reported RMSE and MAE are the plain ones over the kept points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FIT_GEOMETRIES", "LinearFit", "fit_once", "iter_fit"]

_MEDIAN_TO_RMSE = 1.0 / np.sqrt(np.log(2.0))

#: Fit geometry -> smallest number of points it needs.
FIT_GEOMETRIES = {"shift": 1, "rshift": 2, "rscale": 2, "general": 3}


@dataclass
class LinearFit:
    """The result of :func:`iter_fit`."""

    matrix: np.ndarray  #: 2 x 2
    shift: np.ndarray  #: (2,), same units as the positions
    mask: np.ndarray  #: the points kept by the clipping
    resids: np.ndarray  #: (n, 2) residuals of all points (ref - model)
    rmse: float
    mae: float
    fitgeom: str
    nclip_done: int = 0

    @property
    def rotation(self) -> float:
        """Rotation angle (deg): mean of the angles of the x and y axes."""
        m = self.matrix
        rx = np.degrees(np.arctan2(-m[1, 0], m[0, 0]))
        ry = np.degrees(np.arctan2(m[0, 1], m[1, 1]))
        return float(0.5 * (rx + ry))

    @property
    def scale(self) -> float:
        """Geometric mean of the axis scales."""
        return float(np.sqrt(abs(np.linalg.det(self.matrix))))

    @property
    def skew(self) -> float:
        m = self.matrix
        rx = np.degrees(np.arctan2(-m[1, 0], m[0, 0]))
        ry = np.degrees(np.arctan2(m[0, 1], m[1, 1]))
        return float(ry - rx)


def fit_once(ref: np.ndarray, img: np.ndarray, fitgeom: str):
    """(M, shift) of the least-squares fit ``ref = M @ img + shift``."""
    n = len(ref)
    if n < FIT_GEOMETRIES[fitgeom]:
        raise ValueError(f"a '{fitgeom}' fit needs {FIT_GEOMETRIES[fitgeom]} points, got {n}")
    rm = ref.mean(axis=0)
    im = img.mean(axis=0)
    if fitgeom == "shift":
        m = np.eye(2)
    elif fitgeom in ("rshift", "rscale"):
        zr = (ref[:, 0] - rm[0]) + 1j * (ref[:, 1] - rm[1])
        zi = (img[:, 0] - im[0]) + 1j * (img[:, 1] - im[1])
        den = float(np.sum(np.abs(zi) ** 2))
        if den == 0:
            raise ValueError("the positions are all the same: no rotation can be fitted")
        a = np.sum(zr * np.conj(zi)) / den
        if fitgeom == "rshift":
            a = a / abs(a) if abs(a) > 0 else 1.0 + 0j
        m = np.array([[a.real, -a.imag], [a.imag, a.real]])
    elif fitgeom == "general":
        u = img - im
        v = ref - rm
        sol, *_ = np.linalg.lstsq(u, v, rcond=None)
        m = sol.T
    else:
        raise ValueError(f"unknown fitgeom {fitgeom!r}: one of {', '.join(FIT_GEOMETRIES)}")
    shift = rm - m @ im
    return m, shift


def iter_fit(ref, img, fitgeom: str = "rshift", nclip: int = 3, sigma: float = 3.0,
             minobj: int | None = None) -> LinearFit:  # fmt: skip
    """Fit with iterative clipping (see the module description).

    Parameters
    ----------
    ref, img : ndarray of shape (n, 2), float64
        Matched reference and image positions.
    """
    ref = np.asarray(ref, float)
    img = np.asarray(img, float)
    need = FIT_GEOMETRIES[fitgeom] if minobj is None else max(minobj, FIT_GEOMETRIES[fitgeom])
    mask = np.ones(len(ref), bool)
    m, s = fit_once(ref, img, fitgeom)
    done = 0
    for _ in range(int(nclip or 0)):
        norm = np.linalg.norm(ref - img @ m.T - s, axis=1)
        rmse = np.median(norm[mask]) * _MEDIAN_TO_RMSE
        new = norm < sigma * rmse
        if new.sum() < need or (new == mask).all():
            break
        mask = new
        m, s = fit_once(ref[mask], img[mask], fitgeom)
        done += 1
    resids = ref - img @ m.T - s
    rk = resids[mask]
    rmse = float(np.sqrt(np.mean(np.sum(rk**2, axis=1)))) if rk.size else float("nan")
    mae = float(np.mean(np.linalg.norm(rk, axis=1))) if rk.size else float("nan")
    return LinearFit(m, s, mask, resids, rmse, mae, fitgeom, done)
