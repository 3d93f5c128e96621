"""Where each detector pixel looks: the aperture geometry of the JWST Science Instrument
Aperture File (SIAF).

An :class:`Aperture` holds what the SIAF gives for a detector's full-frame aperture: the
reference pixel (``XSciRef``, ``YSciRef``, 1-based science frame), the reference point in
the telescope's V2/V3 frame (``V2Ref``, ``V3Ref``, arcsec), the angle of the ideal frame's
Y axis from V3 (``V3IdlYAngle``, deg), its X parity (``VIdlParity``), and the polynomials
from science pixels to the distortion-free ideal frame (``Sci2IdlX/Y``, arcsec) and back.

With the optional ``pysiaf`` package (``pip install jwcal[sim]``) these are the flight
values of the installed PRD; without it an analytic stand-in with the same reference
points, angles and plate scales and a mild radial distortion is used.  Everything here is
plain numpy, independent of the astropy models that the reference files and assign_wcs
build, so that the simulator's truth checks the pipeline rather than itself.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from .instruments import DetectorSpec

__all__ = [
    "sees_the_sky",
    "NIRSPEC_IMAGING",
    "Aperture",
    "aperture_for",
    "poly_eval",
    "poly_terms",
    "have_pysiaf",
    "SIAF_APERTURES",
]

log = logging.getLogger(__name__)

#: The full-frame SIAF aperture of each detector.
SIAF_APERTURES = {
    "NRCA1": ("nircam", "NRCA1_FULL"),
    "NRCA2": ("nircam", "NRCA2_FULL"),
    "NRCA3": ("nircam", "NRCA3_FULL"),
    "NRCA4": ("nircam", "NRCA4_FULL"),
    "NRCALONG": ("nircam", "NRCA5_FULL"),
    "NRCB1": ("nircam", "NRCB1_FULL"),
    "NRCB2": ("nircam", "NRCB2_FULL"),
    "NRCB3": ("nircam", "NRCB3_FULL"),
    "NRCB4": ("nircam", "NRCB4_FULL"),
    "NRCBLONG": ("nircam", "NRCB5_FULL"),
    "NIS": ("niriss", "NIS_CEN"),
    "GUIDER1": ("fgs", "FGS1_FULL"),
    "GUIDER2": ("fgs", "FGS2_FULL"),
    "MIRIMAGE": ("miri", "MIRIM_FULL"),
    "NRS1": ("nirspec", "NRS1_FULL"),
    "NRS2": ("nirspec", "NRS2_FULL"),
}

#: NIRSpec exposure types that image the sky through the MIRROR.
NIRSPEC_IMAGING = frozenset(
    ("NRS_IMAGE", "NRS_TACQ", "NRS_TASLIT", "NRS_TACONFIRM", "NRS_CONFIRM", "NRS_MSATA",
     "NRS_WATA", "NRS_FOCUS", "NRS_MIMF", "NRS_VERIFY")
)  # fmt: skip


def sees_the_sky(det, exp_type: str | None) -> bool:
    """True when the simulator renders the sky through the detector's geometry: the
    imagers, and NIRSpec in its imaging and target-acquisition modes."""
    if det.name not in SIAF_APERTURES:
        return False
    if det.instrument == "NIRSPEC":
        return str(exp_type or "").upper() in NIRSPEC_IMAGING
    return True


# Stand-in geometry when pysiaf is not installed, rounded from PRDOPSSOC-075:
# V2Ref, V3Ref (arcsec), V3IdlYAngle (deg), VIdlParity, X and Y plate scale (arcsec/pixel),
# XSciRef, YSciRef, and the polynomial degree of the flight solution.
_FALLBACK = {
    "NRCA1_FULL": (120.5768, -527.5014, -0.5519, -1, 0.031133, 0.031319, 1024.5, 1024.5, 5),
    "NRCA2_FULL": (119.7401, -459.7843, -0.2072, -1, 0.030727, 0.030828, 1024.5, 1024.5, 5),
    "NRCA3_FULL": (51.9462, -527.9275, 0.2821, -1, 0.031277, 0.031453, 1024.5, 1024.5, 5),
    "NRCA4_FULL": (52.3590, -459.9012, 0.1002, -1, 0.030866, 0.030955, 1024.5, 1024.5, 5),
    "NRCA5_FULL": (85.9266, -493.5025, -0.0634, -1, 0.062755, 0.063059, 1024.5, 1024.5, 5),
    "NRCB1_FULL": (-122.4280, -457.7068, 0.3448, -1, 0.030699, 0.030794, 1024.5, 1024.5, 5),
    "NRCB2_FULL": (-122.6799, -525.4209, 0.8466, -1, 0.031106, 0.031287, 1024.5, 1024.5, 5),
    "NRCB3_FULL": (-54.6108, -457.7029, -0.4516, -1, 0.030830, 0.030917, 1024.5, 1024.5, 5),
    "NRCB4_FULL": (-54.3867, -525.6303, -0.3383, -1, 0.031238, 0.031416, 1024.5, 1024.5, 5),
    "NRCB5_FULL": (-89.4028, -491.3601, 0.0232, -1, 0.062854, 0.063149, 1024.5, 1024.5, 5),
    "NIS_CEN": (-291.141, -698.015, 0.5613, -1, 0.065324, 0.065815, 1024.5, 1024.5, 5),
    "FGS1_FULL": (206.407, -697.765, -1.2412, -1, 0.068362, 0.069931, 1024.5, 1024.5, 4),
    "FGS2_FULL": (22.865, -699.28, 0.2915, -1, 0.067868, 0.069764, 1024.5, 1024.5, 4),
    "MIRIM_FULL": (-453.3483, -373.6679, 4.8354, -1, 0.110497, 0.111336, 693.5, 512.5, 4),
    "NRS1_FULL": (293.3111, -503.3190, 139.2282, -1, 0.103253, 0.105388, 1024.5, 1024.5, 5),
    "NRS2_FULL": (462.6774, -353.8963, 137.7959, -1, 0.103299, 0.105425, 1024.5, 1024.5, 5),
}


def poly_terms(degree: int) -> list[tuple[int, int]]:
    """(power of x, power of y) of each coefficient, in the SIAF order.

    The SIAF lists the terms of a degree-n polynomial as ``x^(i-j) y^j`` for i = 0..n and
    j = 0..i, so coefficient k = i(i+1)/2 + j.
    """
    return [(i - j, j) for i in range(degree + 1) for j in range(i + 1)]


def poly_eval(coeffs: np.ndarray, x, y):
    """Evaluate a SIAF-ordered 2-D polynomial (Horner in y inside each power of x)."""
    coeffs = np.asarray(coeffs, dtype=float)
    degree = int(round((np.sqrt(8 * coeffs.size + 1) - 3) / 2))
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = np.zeros(np.broadcast(x, y).shape)
    # sum over powers of x of x^p * (sum_q c[p, q] y^q), Horner in both variables; each
    # inner sum has y's shape, so on an open grid (a column of y, a row of x) it costs a
    # column, and only the outer Horner runs over the whole grid
    for p in range(degree, -1, -1):
        inner = np.zeros(y.shape)
        for q in range(degree - p, -1, -1):
            i = p + q
            inner = inner * y + coeffs[i * (i + 1) // 2 + q]
        out = out * x + inner
    return out


@dataclass(frozen=True)
class Aperture:
    """A detector's full-frame aperture: reference point, orientation and distortion."""

    name: str  #: SIAF aperture name, e.g. ``NRCA1_FULL``
    detector: str  #: DETECTOR value
    nx: int  #: science-frame columns
    ny: int  #: science-frame rows
    xsciref: float  #: 1-based science-frame reference pixel
    ysciref: float
    v2ref: float  #: arcsec
    v3ref: float  #: arcsec
    v3yangle: float  #: deg: V3IdlYAngle
    vparity: int  #: VIdlParity
    sci2idl_x: tuple  #: SIAF-ordered coefficients, science pixels (from the ref) -> arcsec
    sci2idl_y: tuple
    idl2sci_x: tuple  #: arcsec -> science pixels (from the ref)
    idl2sci_y: tuple
    source: str  #: where the numbers come from (pysiaf PRD version or "analytic")

    @property
    def degree(self) -> int:
        n = len(self.sci2idl_x)
        return int(round((np.sqrt(8 * n + 1) - 3) / 2))

    @property
    def scales(self) -> tuple[float, float]:
        """Plate scales (arcsec/pixel) at the reference pixel along x and y."""
        cx, cy = self.sci2idl_x, self.sci2idl_y
        return float(np.hypot(cx[1], cy[1])), float(np.hypot(cx[2], cy[2]))

    # ----- pixels <-> ideal <-> V2/V3 -----------------------------------------------------
    def pixel_to_ideal(self, x, y):
        """0-based full-frame science pixels -> ideal-frame arcsec."""
        dx = np.asarray(x, dtype=float) + 1.0 - self.xsciref
        dy = np.asarray(y, dtype=float) + 1.0 - self.ysciref
        return poly_eval(self.sci2idl_x, dx, dy), poly_eval(self.sci2idl_y, dx, dy)

    def ideal_to_v2v3(self, xi, eta):
        """Ideal-frame arcsec -> V2/V3 arcsec (the planar relation of the SIAF)."""
        a = np.deg2rad(self.v3yangle)
        p = self.vparity
        xi = np.asarray(xi, dtype=float)
        eta = np.asarray(eta, dtype=float)
        v2 = self.v2ref + p * np.cos(a) * xi + np.sin(a) * eta
        v3 = self.v3ref - p * np.sin(a) * xi + np.cos(a) * eta
        return v2, v3

    def v2v3_to_ideal(self, v2, v3):
        a = np.deg2rad(self.v3yangle)
        p = self.vparity
        d2 = np.asarray(v2, dtype=float) - self.v2ref
        d3 = np.asarray(v3, dtype=float) - self.v3ref
        return p * (np.cos(a) * d2 - np.sin(a) * d3), np.sin(a) * d2 + np.cos(a) * d3

    def pixel_to_v2v3(self, x, y):
        return self.ideal_to_v2v3(*self.pixel_to_ideal(x, y))

    def ideal_to_pixel(self, xi, eta, *, iterations: int = 6):
        """Ideal arcsec -> 0-based pixels: the SIAF inverse polynomial as a first guess,
        refined by Newton steps on the forward polynomial (exact to ~1e-10 pixel)."""
        xi = np.asarray(xi, dtype=float)
        eta = np.asarray(eta, dtype=float)
        dx = poly_eval(self.idl2sci_x, xi, eta)
        dy = poly_eval(self.idl2sci_y, xi, eta)
        h = 1e-3
        for _ in range(iterations):
            fx = poly_eval(self.sci2idl_x, dx, dy)
            fy = poly_eval(self.sci2idl_y, dx, dy)
            a11 = (poly_eval(self.sci2idl_x, dx + h, dy) - fx) / h
            a12 = (poly_eval(self.sci2idl_x, dx, dy + h) - fx) / h
            a21 = (poly_eval(self.sci2idl_y, dx + h, dy) - fy) / h
            a22 = (poly_eval(self.sci2idl_y, dx, dy + h) - fy) / h
            rx, ry = xi - fx, eta - fy
            det = a11 * a22 - a12 * a21
            dx = dx + (a22 * rx - a12 * ry) / det
            dy = dy + (-a21 * rx + a11 * ry) / det
        return dx + self.xsciref - 1.0, dy + self.ysciref - 1.0

    def v2v3_to_pixel(self, v2, v3):
        return self.ideal_to_pixel(*self.v2v3_to_ideal(v2, v3))

    def pixel_area(self, x, y) -> np.ndarray:
        """Solid angle of the pixels centred at (x, y), arcsec^2 (Jacobian determinant of the
        science -> ideal polynomial; the ideal -> V2/V3 step is a rotation)."""
        dx = np.asarray(x, dtype=float) + 1.0 - self.xsciref
        dy = np.asarray(y, dtype=float) + 1.0 - self.ysciref
        jx = _poly_derivative(self.sci2idl_x)
        jy = _poly_derivative(self.sci2idl_y)
        a11 = poly_eval(jx[0], dx, dy)
        a12 = poly_eval(jx[1], dx, dy)
        a21 = poly_eval(jy[0], dx, dy)
        a22 = poly_eval(jy[1], dx, dy)
        return np.abs(a11 * a22 - a12 * a21)


def _poly_derivative(coeffs) -> tuple[np.ndarray, np.ndarray]:
    """SIAF-ordered coefficients of d/dx and d/dy of a SIAF-ordered polynomial."""
    coeffs = np.asarray(coeffs, dtype=float)
    deg = int(round((np.sqrt(8 * coeffs.size + 1) - 3) / 2))
    terms = poly_terms(deg)
    nd = len(poly_terms(deg - 1)) if deg > 0 else 1
    ddx = np.zeros(nd)
    ddy = np.zeros(nd)
    for c, (p, q) in zip(coeffs, terms, strict=True):
        if p > 0:
            i = p - 1 + q
            ddx[i * (i + 1) // 2 + q] += p * c
        if q > 0:
            i = p + q - 1
            ddy[i * (i + 1) // 2 + q - 1] += q * c
    return ddx, ddy


@functools.cache
def have_pysiaf() -> bool:
    try:
        import pysiaf  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _siaf(instrument: str):
    import warnings

    import pysiaf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # pysiaf prints a notice when it cannot compare its PRD with the online one.
        logging.getLogger("pysiaf").setLevel(logging.ERROR)
        return pysiaf.Siaf(instrument)


def _from_pysiaf(detector: str, instrument: str, apname: str) -> Aperture:
    import pysiaf

    ap = _siaf(instrument)[apname]
    source = f"pysiaf {pysiaf.__version__} ({pysiaf.JWST_PRD_VERSION})"
    if instrument == "nirspec":
        return _nirspec_from_pysiaf(detector, ap, source)
    c = ap.get_polynomial_coefficients()
    return Aperture(
        name=apname,
        detector=detector,
        nx=int(ap.XSciSize),
        ny=int(ap.YSciSize),
        xsciref=float(ap.XSciRef),
        ysciref=float(ap.YSciRef),
        v2ref=float(ap.V2Ref),
        v3ref=float(ap.V3Ref),
        v3yangle=float(ap.V3IdlYAngle),
        vparity=int(ap.VIdlParity),
        sci2idl_x=tuple(float(v) for v in c["Sci2IdlX"]),
        sci2idl_y=tuple(float(v) for v in c["Sci2IdlY"]),
        idl2sci_x=tuple(float(v) for v in c["Idl2SciX"]),
        idl2sci_y=tuple(float(v) for v in c["Idl2SciY"]),
        source=source,
    )


def _nirspec_from_pysiaf(detector: str, ap, source: str, degree: int = 5) -> Aperture:
    """NIRSpec's SIAF maps its detectors to the sky through the MSA and OTE models rather
    than one polynomial: degree-5 polynomials fitted to its science -> ideal mapping stand
    for it (they follow it to ~0.3 mas)."""
    nx, ny = int(ap.XSciSize), int(ap.YSciSize)
    xr, yr = float(ap.XSciRef), float(ap.YSciRef)
    gx, gy = np.meshgrid(np.linspace(1, nx, 41), np.linspace(1, ny, 41))
    xi, eta = (np.asarray(v, dtype=float).ravel() for v in ap.sci_to_idl(gx.ravel(), gy.ravel()))
    dx, dy = gx.ravel() - xr, gy.ravel() - yr
    cx, cy = _lstsq_poly(dx, dy, xi, eta, degree)
    ix, iy = _lstsq_poly(xi, eta, dx, dy, degree)
    return Aperture(
        name=ap.AperName, detector=detector, nx=nx, ny=ny, xsciref=xr, ysciref=yr,
        v2ref=float(ap.V2Ref), v3ref=float(ap.V3Ref), v3yangle=float(ap.V3IdlYAngle),
        vparity=int(ap.VIdlParity), sci2idl_x=tuple(cx), sci2idl_y=tuple(cy),
        idl2sci_x=tuple(ix), idl2sci_y=tuple(iy), source=source + ", polynomial fit",
    )  # fmt: skip


def _lstsq_poly(x, y, fx, fy, degree):
    """SIAF-ordered least-squares polynomials (x, y) -> fx and -> fy, fitted in scaled
    variables for conditioning."""
    s = max(np.abs(x).max(), np.abs(y).max())
    terms = poly_terms(degree)
    a = np.column_stack([(x / s) ** p * (y / s) ** q for p, q in terms])
    scale = np.array([s ** -(p + q) for p, q in terms])
    cx = np.linalg.lstsq(a, fx, rcond=None)[0] * scale
    cy = np.linalg.lstsq(a, fy, rcond=None)[0] * scale
    return [float(v) for v in cx], [float(v) for v in cy]


def _analytic(detector: str, apname: str, nx: int, ny: int) -> Aperture:
    """A stand-in: the flight reference point, angles and scales, and a barrel distortion
    of about 0.5 pixel at the corners (a few tenths of a percent, like the flight optics)."""
    v2, v3, yang, par, sx, sy, xr, yr, deg = _FALLBACK[apname]
    terms = poly_terms(deg)
    kx = np.zeros(len(terms))
    ky = np.zeros(len(terms))
    # xi = sx dx (1 + k r^2), eta = sy dy (1 + k r^2), r in pixels: -0.5 pixel at the corners
    k = -2.0 / max(nx, ny) ** 3
    for i, (p, q) in enumerate(terms):
        if (p, q) == (1, 0):
            kx[i] = sx
        elif (p, q) == (0, 1):
            ky[i] = sy
        elif (p, q) == (3, 0):
            kx[i] = sx * k
        elif (p, q) == (1, 2):
            kx[i] = sx * k
        elif (p, q) == (2, 1):
            ky[i] = sy * k
        elif (p, q) == (0, 3):
            ky[i] = sy * k
    inv_x, inv_y = _fit_inverse(kx, ky, nx, ny, deg, xr, yr)
    return Aperture(
        name=apname,
        detector=detector,
        nx=nx,
        ny=ny,
        xsciref=xr,
        ysciref=yr,
        v2ref=v2,
        v3ref=v3,
        v3yangle=yang,
        vparity=par,
        sci2idl_x=tuple(kx),
        sci2idl_y=tuple(ky),
        idl2sci_x=tuple(inv_x),
        idl2sci_y=tuple(inv_y),
        source="analytic (pysiaf not installed)",
    )


def _fit_inverse(cx, cy, nx, ny, deg, xr, yr):
    """Least-squares ideal -> pixel polynomials over the detector (the SIAF's Idl2Sci)."""
    gx, gy = np.meshgrid(np.linspace(-xr, nx - xr, 41), np.linspace(-yr, ny - yr, 41))
    xi = poly_eval(cx, gx, gy).ravel()
    eta = poly_eval(cy, gx, gy).ravel()
    return _lstsq_poly(xi, eta, gx.ravel(), gy.ravel(), deg)


@functools.cache
def aperture_for(det: DetectorSpec, use_pysiaf: bool | None = None) -> Aperture:
    """The full-frame aperture of a detector (flight SIAF when pysiaf is installed).

    Parameters
    ----------
    det : DetectorSpec
        The detector.
    use_pysiaf : bool, optional
        Force (True) or refuse (False) pysiaf; by default it is used when installed.
    """
    entry = SIAF_APERTURES.get(det.name)
    if entry is None:
        raise ConfigError(f"no imaging geometry for detector {det.name}")
    instrument, apname = entry
    if use_pysiaf is None:
        use_pysiaf = have_pysiaf()
    if use_pysiaf:
        if not have_pysiaf():
            raise ConfigError("pysiaf is not installed (pip install jwcal[sim])")
        return _from_pysiaf(det.name, instrument, apname)
    return _analytic(det.name, apname, det.nx, det.ny)
