"""The true mapping between an exposure's pixels and the sky, and its pointing keywords.

:class:`ExposureWcs` chains what a real exposure's header and references describe: the
subarray offset, the filter offset, the detector distortion (SIAF polynomials), the
differential velocity aberration about (V2_REF, V3_REF) and the attitude.  The simulator
places sources with it and writes the keywords from it, so the pointing keywords, the
DISTORTION/FILTEROFFSET references and the truth catalogue agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import Aperture, aperture_for
from .instruments import DetectorSpec, SubarraySpec
from .pointing import Attitude, aberrate, jwst_velocity, va_scale_factor
from .wcsrefs import filter_offsets

__all__ = ["ExposureWcs", "exposure_wcs", "dither_pixels_to_arcsec"]


@dataclass(frozen=True)
class ExposureWcs:
    """Pixels of one exposure <-> ICRS, as JWST's model of it defines."""

    aperture: Aperture
    attitude: Attitude
    v2_ref: float  #: arcsec, the exposure's reference point (V2_REF)
    v3_ref: float
    xref_sci: float  #: 1-based reference pixel in the exposure array (XREF_SCI)
    yref_sci: float
    va_scale: float
    velocity: tuple  #: barycentric velocity, km/s
    col_offset: float  #: FILTEROFFSET column and row offsets, pixels
    row_offset: float
    xstart: int  #: SUBSTRT1, SUBSTRT2
    ystart: int
    dither: tuple  #: (XOFFSET, YOFFSET) arcsec in the ideal frame
    target: tuple  #: (RA, Dec) of the undithered reference point

    # ----- pixels <-> V2/V3 <-> sky --------------------------------------------------------
    def pixel_to_v2v3(self, x, y):
        """0-based pixels of the exposure array -> V2/V3 (before velocity aberration)."""
        xf = np.asarray(x, dtype=float) + (self.xstart - 1) + self.col_offset
        yf = np.asarray(y, dtype=float) + (self.ystart - 1) + self.row_offset
        return self.aperture.pixel_to_v2v3(xf, yf)

    def v2v3_to_pixel(self, v2, v3):
        xf, yf = self.aperture.v2v3_to_pixel(v2, v3)
        return (xf - (self.xstart - 1) - self.col_offset, yf - (self.ystart - 1) - self.row_offset)

    def _va(self, v2, v3):
        s = self.va_scale
        return s * v2 + (1.0 - s) * self.v2_ref, s * v3 + (1.0 - s) * self.v3_ref

    def _va_inv(self, v2, v3):
        s = self.va_scale
        return (v2 - (1.0 - s) * self.v2_ref) / s, (v3 - (1.0 - s) * self.v3_ref) / s

    def pixel_to_radec(self, x, y):
        return self.attitude.v2v3_to_radec(*self._va(*self.pixel_to_v2v3(x, y)))

    def radec_to_pixel(self, ra, dec):
        return self.v2v3_to_pixel(*self._va_inv(*self.attitude.radec_to_v2v3(ra, dec)))

    def direction_pa(self, x, y, angle):
        """Position angle (deg, N through E) on the sky of the pixel-frame direction at
        ``angle`` (radians from +x towards +y) at pixels (x, y)."""
        eps = 0.5
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        ra0, dec0 = self.pixel_to_radec(x, y)
        ra1, dec1 = self.pixel_to_radec(x + eps * np.cos(angle), y + eps * np.sin(angle))
        dra = (ra1 - ra0 + 180.0) % 360.0 - 180.0
        return np.rad2deg(np.arctan2(dra * np.cos(np.deg2rad(dec0)), dec1 - dec0)) % 360.0

    def pixel_angle(self, x, y, pa_deg):
        """The inverse of :meth:`direction_pa`: pixel-frame angle (radians) of a sky PA."""
        pax = self.direction_pa(x, y, 0.0)
        pay = self.direction_pa(x, y, np.pi / 2)
        hand = np.sign(np.sin(np.deg2rad(pay - pax)))
        return hand * np.deg2rad(np.asarray(pa_deg) - pax)

    # ----- keywords ----------------------------------------------------------------------
    def keywords(self) -> dict:
        """Metadata paths and values of the pointing keywords, as an uncal carries them."""
        kw = self.attitude.reference_keywords(self.v2_ref, self.v3_ref)
        ap = self.aperture
        va_ra, va_dec = aberrate(self.velocity, kw["ra_ref"], kw["dec_ref"])
        rel = np.deg2rad(kw["roll_ref"] - ap.vparity * ap.v3yangle)
        sx, sy = ap.scales
        out = {
            "wcsinfo.v2_ref": self.v2_ref,
            "wcsinfo.v3_ref": self.v3_ref,
            "wcsinfo.v3yangle": ap.v3yangle,
            "wcsinfo.vparity": ap.vparity,
            "wcsinfo.ra_ref": kw["ra_ref"],
            "wcsinfo.dec_ref": kw["dec_ref"],
            "wcsinfo.roll_ref": kw["roll_ref"],
            "wcsinfo.siaf_xref_sci": self.xref_sci,
            "wcsinfo.siaf_yref_sci": self.yref_sci,
            # the basic TAN WCS that the level-1b pointing software writes
            "wcsinfo.wcsaxes": 2,
            "wcsinfo.crpix1": self.xref_sci,
            "wcsinfo.crpix2": self.yref_sci,
            "wcsinfo.crval1": kw["ra_ref"],
            "wcsinfo.crval2": kw["dec_ref"],
            "wcsinfo.ctype1": "RA---TAN",
            "wcsinfo.ctype2": "DEC--TAN",
            "wcsinfo.cunit1": "deg",
            "wcsinfo.cunit2": "deg",
            "wcsinfo.cdelt1": sx / 3600.0,
            "wcsinfo.cdelt2": sy / 3600.0,
            "wcsinfo.pc1_1": ap.vparity * np.cos(rel),
            "wcsinfo.pc1_2": np.sin(rel),
            "wcsinfo.pc2_1": -ap.vparity * np.sin(rel),
            "wcsinfo.pc2_2": np.cos(rel),
            "coordinates.reference_frame": "ICRS",
            "pointing.ra_v1": kw["ra_v1"],
            "pointing.dec_v1": kw["dec_v1"],
            "pointing.pa_v3": kw["pa_v3"],
            "aperture.position_angle": (kw["roll_ref"] - ap.vparity * ap.v3yangle) % 360.0,
            "velocity_aberration.scale_factor": self.va_scale,
            "velocity_aberration.va_ra_ref": va_ra,
            "velocity_aberration.va_dec_ref": va_dec,
            "ephemeris.velocity_x_bary": float(self.velocity[0]),
            "ephemeris.velocity_y_bary": float(self.velocity[1]),
            "ephemeris.velocity_z_bary": float(self.velocity[2]),
            "ephemeris.reference_frame": "EME2000",
            "ephemeris.type": "DEFINITIVE",
            "dither.x_offset": float(self.dither[0]),
            "dither.y_offset": float(self.dither[1]),
            "target.ra": float(self.target[0]),
            "target.dec": float(self.target[1]),
        }
        if ap.detector in ("NRS1", "NRS2"):
            from .nirspec_refs import GWA_READING

            out["instrument.grating"] = "MIRROR"
            out["instrument.lamp_state"] = "NONE"
            out["instrument.gwa_xtilt"] = GWA_READING[0]
            out["instrument.gwa_ytilt"] = GWA_READING[1]
        return {k: float(v) if isinstance(v, np.floating) else v for k, v in out.items()}


def dither_pixels_to_arcsec(ap: Aperture, dx: float, dy: float) -> tuple[float, float]:
    """Ideal-frame offset (arcsec) that moves the scene by about (dx, dy) pixels."""
    cx, cy = ap.sci2idl_x, ap.sci2idl_y
    return cx[1] * dx + cx[2] * dy, cy[1] * dx + cy[2] * dy


def exposure_wcs(
    det: DetectorSpec,
    sub: SubarraySpec,
    *,
    filt: str | None,
    pupil: str | None,
    pointing: tuple[float, float, float],
    dither_arcsec: tuple[float, float] = (0.0, 0.0),
    mjd: float = 60370.5,
    use_pysiaf: bool | None = None,
) -> ExposureWcs:
    """The sky mapping of an exposure.

    Parameters
    ----------
    det, sub
        Detector and subarray.
    filt, pupil
        The optical elements (their FILTEROFFSET row shifts the pixels).
    pointing : (ra, dec, roll)
        RA, Dec (deg) of the undithered reference point of the subarray and the position
        angle of V3 there (ROLL_REF, deg).
    dither_arcsec : (xoff, yoff)
        Offset of the target in the aperture's ideal frame (XOFFSET, YOFFSET), arcsec.
    mjd : float
        Time of the exposure (for JWST's velocity).
    """
    ap = aperture_for(det, use_pysiaf)
    if sub.is_full:
        xref, yref = ap.xsciref, ap.ysciref
    else:
        xref, yref = (sub.xsize + 1) / 2.0, (sub.ysize + 1) / 2.0
    # the reference point of a subarray aperture: its centre, through the full-frame model
    v2r, v3r = ap.pixel_to_v2v3(xref - 1 + sub.xstart - 1, yref - 1 + sub.ystart - 1)
    v2r, v3r = float(v2r), float(v3r)
    ra, dec, roll = pointing
    base = Attitude.from_reference(v2r, v3r, ra, dec, roll)
    xoff, yoff = (float(v) for v in dither_arcsec)
    att = base
    if xoff or yoff:
        # slew so that the target lands at ideal (xoff, yoff): the sky at ideal (-xoff, -yoff)
        # comes to the reference point
        a = np.deg2rad(ap.v3yangle)
        p = ap.vparity
        b2 = v2r + p * np.cos(a) * -xoff + np.sin(a) * -yoff
        b3 = v3r - p * np.sin(a) * -xoff + np.cos(a) * -yoff
        att = base.moved(v2r, v3r, b2, b3)
    ra_ref, dec_ref = att.v2v3_to_radec(v2r, v3r)
    vel = jwst_velocity(mjd)
    col = row = 0.0
    for r in filter_offsets(det):
        if r["filter"] == filt and (det.instrument == "MIRI" or r.get("pupil") == pupil):
            col, row = r["column_offset"], r["row_offset"]
    return ExposureWcs(
        aperture=ap,
        attitude=att,
        v2_ref=v2r,
        v3_ref=v3r,
        xref_sci=float(xref),
        yref_sci=float(yref),
        va_scale=va_scale_factor(vel, float(ra_ref), float(dec_ref)),
        velocity=tuple(float(v) for v in vel),
        col_offset=float(col),
        row_offset=float(row),
        xstart=sub.xstart,
        ystart=sub.ystart,
        dither=(xoff, yoff),
        target=(float(ra), float(dec)),
    )
