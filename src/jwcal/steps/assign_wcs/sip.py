"""A FITS WCS with SIP distortion polynomials that approximates an imaging gwcs.

The approximation is the one jwst stores in the SCI header (gwcs's ``to_fits_sip`` as
``update_fits_wcsinfo`` calls it), redone here:

1. The reference pixel is CRPIX from the exposure when it has one, else the centre of the
   bounding box; CRVAL is the sky position the gwcs gives it.
2. The gwcs is sampled on an ``npoints`` x ``npoints`` grid spanning the bounding box
   (and on a grid twice as dense, to check the fit between the nodes), and each sample is
   rotated to the native frame of CRVAL and projected (gnomonic, TAN).
3. Polynomials in pixel offsets from CRPIX are fitted to the projected coordinates, degree
   1, 2, ... (up to 5 by default), until the worst residual, in pixels of the local plate
   scale, is below ``max_pix_error``: the normal equations are summed in extended
   precision and solved by LU decomposition, which is more accurate for these badly
   scaled Vandermonde systems than an SVD in double precision.  Their linear part is the
   CD matrix; the rest, taken through the inverse CD matrix, the SIP A and B coefficients.
4. The inverse polynomials (AP, BP) are fitted the same way, from intermediate to pixel
   offsets, to ``max_inv_pix_error`` pixels.

Keywords that come out: WCSAXES, WCSNAME, CRPIX, CRVAL, CD, CTYPE (``-SIP`` when degree
> 1), CUNIT, LONPOLE, LATPOLE, MJDREF, RADESYS, A/B/AP/BP_ORDER and coefficients, SIPMXERR
and SIPIVERR (the worst residuals, pixels).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

log = logging.getLogger(__name__)

__all__ = ["fit_sip", "sampling_grid", "native_tan", "tan_keywords", "SipFitWarning"]

#: jwst fits SIP degrees 1 to 5 unless told otherwise.
MAX_DEGREE = 6


class SipFitWarning(UserWarning):
    """The SIP approximation misses its accuracy target."""


def sampling_grid(npoints: int, bbox, crpix) -> tuple[np.ndarray, np.ndarray]:
    """Pixel offsets from ``crpix`` (0-based) of an ``npoints`` x ``npoints`` grid whose
    first and last nodes are the edges of ``bbox`` ((x0, x1), (y0, y1))."""
    (x0, x1), (y0, y1) = bbox
    sx = (x0 - x1) / (1.0 - npoints)
    sy = (y0 - y1) / (1.0 - npoints)
    # the same nodes as numpy's arange semantics give gwcs's sampler
    y, x = np.mgrid[slice(y0, y1 + sy, sy), slice(x0, x1 + sx, sx)]
    return (x - crpix[0]).ravel(), (y - crpix[1]).ravel()


def native_tan(ra, dec, ra0: float, dec0: float) -> tuple[np.ndarray, np.ndarray]:
    """Gnomonic projection (deg) about (ra0, dec0) with the native pole at longitude 180
    deg (Calabretta & Greisen 2002, A&A 395, 1077): the standard coordinates
    (u.east / u.r0, u.north / u.r0), which avoid the cancellation of cos(theta) near the
    reference point."""
    a = np.deg2rad(np.asarray(ra, dtype=float) - ra0)
    d = np.deg2rad(np.asarray(dec, dtype=float))
    d0 = np.deg2rad(dec0)
    sd, cd, ca = np.sin(d), np.cos(d), np.cos(a)
    east = cd * np.sin(a)
    north = sd * np.cos(d0) - cd * np.sin(d0) * ca
    along = sd * np.sin(d0) + cd * np.cos(d0) * ca
    return np.rad2deg(east / along), np.rad2deg(north / along)


def _powers(degree: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i) if i + j > 0]


def _fit_once(x, y, xout, yout, degree):
    """Least squares of degree ``degree`` (no constant term) through the normal equations.

    Returns the x and y coefficients, the worst residual distance and the condition of
    the normal matrix."""
    powers = _powers(degree)
    xl = np.asarray(x, dtype=np.longdouble)
    yl = np.asarray(y, dtype=np.longdouble)
    cols = np.stack([xl**p * yl**q for p, q in powers], axis=1)
    normal = cols.T @ cols
    bx = cols.T @ np.asarray(xout, dtype=np.longdouble)
    by = cols.T @ np.asarray(yout, dtype=np.longdouble)
    a = normal.astype(float)
    # LAPACK's LU with partial pivoting (gesv), one solve per right-hand side
    try:
        cx = np.linalg.solve(a, bx.astype(float))
        cy = np.linalg.solve(a, by.astype(float))
    except np.linalg.LinAlgError as exc:
        raise np.linalg.LinAlgError(f"SIP fit failed: {exc}") from None
    if not np.all(np.isfinite(cx)) or not np.all(np.isfinite(cy)):
        raise np.linalg.LinAlgError("SIP fit failed: coefficients are not finite")
    cond = np.linalg.cond(a)
    v = cols.astype(float)
    resid = np.hypot(xout - v @ cx, yout - v @ cy).max()
    return cx, cy, resid, cond


def _evaluate(coeffs: dict, x, y):
    out = np.zeros(np.shape(x))
    for (p, q), c in coeffs.items():
        out = out + c * x**p * y**q
    return out


def _fit_degrees(degree, max_error, plate_scale, grid, values, dense, dense_values):
    """Fit the lowest degree that reaches ``max_error`` (in units of ``plate_scale``).

    Returns (degree, x coefficients, y coefficients, worst residual / plate_scale).  As
    jwst reports it, the degree is the last one tried (when a higher degree stops
    improving, its coefficients are those of the previous one and its own terms are 0)."""
    if degree is None:
        degrees = list(range(1, 10))
    elif np.iterable(degree):
        degrees = sorted(int(d) for d in degree)
    else:
        degrees = [int(degree)]
    if degrees[0] < 1 or degrees[-1] > 9:
        raise ValueError("SIP degrees must be between 1 and 9")
    single = len(degrees) == 1
    limit = max_error * plate_scale
    best = None
    fit_error = np.inf
    reached = False
    deg = degrees[0]
    for deg in degrees:
        try:
            cx, cy, err, cond = _fit_once(*grid, *values, deg)
        except np.linalg.LinAlgError:
            if single:
                raise
            break
        if not np.isfinite(cond):
            if single:
                warnings.warn("The SIP fit may be poorly conditioned.", SipFitWarning, stacklevel=3)
                best, fit_error = (cx, cy, _powers(deg)), err
            break
        if err >= fit_error:
            break
        best, fit_error = (cx, cy, _powers(deg)), err
        if fit_error <= limit:
            reached = True
            break
    if best is None:
        raise RuntimeError("no SIP polynomial could be fitted")
    cx, cy, powers = best
    px = {pq: 0.0 for pq in _powers(deg)}
    py = dict(px)
    for c1, c2, pq in zip(cx, cy, powers, strict=True):
        px[pq] = float(c1)
        py[pq] = float(c2)
    if not reached:
        warnings.warn(
            "Failed to achieve requested SIP approximation accuracy.", SipFitWarning, stacklevel=3
        )
    if fit_error <= limit or single:
        ux, uy = dense
        resid = np.hypot(
            dense_values[0] - _evaluate(px, ux, uy), dense_values[1] - _evaluate(py, ux, uy)
        ).max()
        if resid > min(5.0 * fit_error, limit):
            warnings.warn(
                "Double sampling check FAILED: sampling may be too coarse for the "
                "distortion being fitted.",
                SipFitWarning,
                stacklevel=3,
            )
        fit_error = max(resid, fit_error)
    return deg, px, py, fit_error / plate_scale


def tan_keywords(ra0: float, dec0: float, crpix) -> dict:
    """The FITS keywords (lower case, in wcslib's order) of an ICRS TAN frame about
    (``ra0``, ``dec0``) at the 1-based ``crpix``: what astropy.wcs writes for it, without
    the PC and CDELT cards, values rounded to the 14 significant digits wcslib writes.  The
    native pole of a zenithal projection is at the reference point, so LATPOLE is ``dec0``."""

    def p14(v) -> float:
        return float(f"{float(v):.14G}")

    return {
        "wcsaxes": 2,
        "crpix1": p14(crpix[0]),
        "crpix2": p14(crpix[1]),
        "cunit1": "deg",
        "cunit2": "deg",
        "ctype1": "RA---TAN",
        "ctype2": "DEC--TAN",
        "crval1": p14(ra0),
        "crval2": p14(dec0),
        "lonpole": 180.0,
        "latpole": p14(dec0),
        "mjdref": 0.0,
        "radesys": "ICRS",
    }


def fit_sip(
    forward,
    bbox,
    *,
    crpix=None,
    max_pix_error: float = 0.01,
    degree=None,
    max_inv_pix_error: float | None = 0.01,
    inv_degree=None,
    npoints: int = 12,
    frame_name: str = "world",
) -> dict:
    """FITS SIP keywords (lower-case names) approximating a pixel -> (RA, Dec) transform.

    Parameters
    ----------
    forward : callable
        (x, y) 0-based pixels -> (RA, Dec) deg, e.g. a gwcs ``forward_transform``.
    bbox : ((x0, x1), (y0, y1))
        The pixel domain to approximate.
    crpix : (float, float), optional
        1-based reference pixel; the bounding-box centre (to 0.1 pixel) when None.
    max_pix_error, max_inv_pix_error : float
        Worst tolerated error of the forward and inverse polynomials, pixels.
    degree, inv_degree : int, iterable or None
        The degree, or the degrees to try (lowest first); None tries 1..5.
    npoints : int
        Grid nodes per axis (at least 8).

    Returns
    -------
    dict
        Keyword -> value, lower case, as jwst puts them in ``meta.wcsinfo``.
    """
    if npoints < 8:
        raise ValueError("npoints must be at least 8")
    bbox = tuple(tuple(float(v) for v in b) for b in bbox)
    (x0, x1), (y0, y1) = bbox
    if x1 - x0 < 1 or y1 - y0 < 1:
        raise ValueError("Bounding box is too small for fitting a SIP polynomial")
    if degree is None:
        degree = range(1, MAX_DEGREE)
    if inv_degree is None:
        inv_degree = range(1, MAX_DEGREE)
    if crpix is None:
        c1, c2 = round((x0 + x1) / 2, 1), round((y0 + y1) / 2, 1)
    else:
        c1, c2 = crpix[0] - 1, crpix[1] - 1
    ra0, dec0 = (float(v) for v in forward(c1, c2))

    def project(u, v):
        ra, dec = forward(np.asarray(u) + c1, np.asarray(v) + c2)
        return native_tan(ra, dec, ra0, dec0)

    grid = sampling_grid(npoints, bbox, (c1, c2))
    dense = sampling_grid(2 * npoints, bbox, (c1, c2))
    values = project(*grid)
    dense_values = project(*dense)
    (xa, ya), (xb, yb), (xc, yc) = (project(0.0, 0.0), project(1.0, 0.0), project(0.0, 1.0))
    plate_scale = float(np.sqrt(abs((xb - xa) * (yc - ya) - (yb - ya) * (xc - xa))))

    deg, px, py, max_resid = _fit_degrees(
        degree, max_pix_error, plate_scale, grid, values, dense, dense_values
    )
    cd = np.array([[px[(1, 0)], px[(0, 1)]], [py[(1, 0)], py[(0, 1)]]])
    icd = np.linalg.inv(cd)
    # intermediate coordinates in pixel units: what the inverse polynomials start from
    u_int = icd @ np.vstack(values)
    ud_int = icd @ np.vstack(dense_values)

    out = tan_keywords(ra0, dec0, (c1 + 1, c2 + 1))
    for i in (1, 2):
        for j in (1, 2):
            out[f"cd{i}_{j}"] = float(cd[i - 1, j - 1])
    if deg > 1:
        out["ctype1"] += "-SIP"
        out["ctype2"] += "-SIP"
        out["a_order"] = deg
        out["b_order"] = deg
        for (p, q), c in px.items():
            if p + q > 1:
                # SIP terms are the non-linear part taken back to pixel units
                a, b = icd @ np.array([c, py[(p, q)]])
                out[f"a_{p}_{q}"] = float(a)
                out[f"b_{p}_{q}"] = float(b)
        out["sipmxerr"] = float(max_resid)
        if max_inv_pix_error:
            ideg, pu, pv, inv_resid = _fit_degrees(
                inv_degree,
                max_inv_pix_error,
                1.0,
                (u_int[0], u_int[1]),
                (grid[0] - u_int[0], grid[1] - u_int[1]),
                (ud_int[0], ud_int[1]),
                (dense[0] - ud_int[0], dense[1] - ud_int[1]),
            )
            out["ap_order"] = ideg
            out["bp_order"] = ideg
            for (p, q), c in pu.items():
                out[f"ap_{p}_{q}"] = c
                out[f"bp_{p}_{q}"] = pv[(p, q)]
            out["sipiverr"] = float(inv_resid)
    else:
        out["sipmxerr"] = float(max_resid)
    out["wcsaxes"] = 2
    out["wcsname"] = frame_name
    return out
