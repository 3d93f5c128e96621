"""NIRSpec imaging references: the optical model jwst chains from the detector to the sky.

NIRSpec has no DISTORTION reference: jwst maps its pixels through the focal-plane array
(FPA), the camera, the grating wheel (here its MIRROR: DISPERSER, with the tilt sensor
calibration), the collimator onto the MSA, the fore optics (FORE) to the OTE image plane
and the telescope (OTE) to V2/V3, at the middle of the filter's WAVELENGTHRANGE.  The
simulator writes a simplified but complete set: linear FPA, camera, collimator and fore
optics, flight-like grating-wheel angles, and an OTE polynomial fitted so that the whole
chain reproduces the detector's SIAF geometry (to well under a milliarcsecond).
"""

from __future__ import annotations

import numpy as np

from .geometry import Aperture, poly_terms

__all__ = [
    "NirspecOptics",
    "nirspec_optics",
    "write_nirspec_refs",
    "GWA_READING",
    "IMAGING_FILTERS",
]

#: (column, row) GWA tilt-sensor readings of simulated exposures: near the calibration's
#: zero readings, so the tilt correction is small but exercised.
GWA_READING = (0.3141, 0.1621)
_ZERO_READING = (0.3140, 0.1620)
_TILT_SLOPE = 360.0  # arcsec of grating angle per unit of sensor reading

#: filter -> wavelength range (m) through the MIRROR
IMAGING_FILTERS = {"CLEAR": (0.6e-6, 5.3e-6), "F110W": (1.0e-6, 1.27e-6), "F140X": (0.8e-6, 2.0e-6)}
_ANGLES = (0.0157, -0.1498, 0.0113, -0.0036)  # MIRROR theta_x, theta_y, theta_z, tilt_y (deg)
_PIXEL_M = 18e-6
_CAMERA_F = 0.25  # m
_COLLIMATOR_F = 0.36  # m
_FORE_DEG_PER_M = 0.62
_FPA_X0 = {"NRS1": -0.0195, "NRS2": 0.0195}  # detector centres on the FPA (m)


def _dms_to_sca(det_name: str, x, y):
    if det_name == "NRS2":
        return 2047.0 - np.asarray(x, float), 2047.0 - np.asarray(y, float)
    return np.asarray(x, float), np.asarray(y, float)


def _tilted_angles() -> tuple[float, float, float, float]:
    """The MIRROR angles the exposure's GWA readings give (jwst's correct_tilt)."""
    tx, ty, tz, tilt = _ANGLES
    ty += 0.5 * _TILT_SLOPE * (GWA_READING[0] - _ZERO_READING[0]) / 3600.0
    tx += 0.5 * _TILT_SLOPE * (GWA_READING[1] - _ZERO_READING[1]) / 3600.0
    return tx, ty, tz, tilt


def _sca_to_oteip(det_name: str, angles):
    """The astropy chain SCA pixels -> OTE image plane (deg), as jwst composes it."""
    from astropy.modeling.models import Const1D, Identity, Mapping

    from ..steps.assign_wcs.nirspec import dircos_to_unitless, gwa_rotation, unitless_to_dircos

    fpa = fpa_model(det_name)
    cam = camera_model()
    rot = gwa_rotation(angles)
    flip = Const1D(-1) * Identity(1) & Const1D(-1) * Identity(1) & Identity(1)
    chain = (
        fpa
        | cam
        | unitless_to_dircos()
        | rot
        | flip
        | rot.inverse
        | dircos_to_unitless()
        | collimator_model()
        | Mapping((0, 1, 1))
        | fore_model()
    )
    return chain


def fpa_model(det_name: str):
    from astropy.modeling.models import Scale, Shift

    x0 = _FPA_X0[det_name]
    mx = Shift(-1023.5) | Scale(_PIXEL_M) | Shift(x0)
    my = Shift(-1023.5) | Scale(_PIXEL_M)
    return mx & my


def camera_model():
    from astropy.modeling.models import Scale

    return Scale(1.0 / _CAMERA_F) & Scale(1.0 / _CAMERA_F)


def collimator_model():
    from astropy.modeling.models import Scale

    return Scale(_COLLIMATOR_F) & Scale(_COLLIMATOR_F)


def fore_model():
    """(x_msa, y_msa, wavelength) -> OTE image plane (deg); achromatic here."""
    from astropy.modeling.models import Mapping, Scale

    m = Mapping((0, 1), n_inputs=3) | Scale(_FORE_DEG_PER_M) & Scale(_FORE_DEG_PER_M)
    m.inverse = Mapping((0, 1), n_inputs=3) | Scale(1 / _FORE_DEG_PER_M) & Scale(
        1 / _FORE_DEG_PER_M
    )
    return m


class NirspecOptics:
    """The simulated optical model of one NIRSpec detector, with its fitted OTE."""

    def __init__(self, det_name: str, ap: Aperture, degree: int = 6):
        self.det_name = det_name
        self.ap = ap
        chain = _sca_to_oteip(det_name, _tilted_angles())
        g = np.linspace(-64.0, ap.nx + 63.0, 45)
        gx, gy = (v.ravel() for v in np.meshgrid(g, g))
        sx, sy = _dms_to_sca(det_name, gx, gy)
        ox, oy = chain(sx, sy)
        v2, v3 = ap.pixel_to_v2v3(gx, gy)
        self.ote_fwd = _fit(ox, oy, v2, v3, degree)
        self.ote_inv = _fit(v2, v3, ox, oy, degree)
        pred = _eval(self.ote_fwd, ox, oy)
        self.fit_error = float(np.hypot(pred[0] - v2, pred[1] - v3).max())  # arcsec

    def ote_model(self):
        from astropy.modeling.models import Mapping, Polynomial2D

        def poly(c, name):
            deg = int(round((np.sqrt(8 * len(c) + 1) - 3) / 2))
            params = {f"c{p}_{q}": float(v) for v, (p, q) in zip(c, poly_terms(deg), strict=True)}
            return Polynomial2D(deg, name=name, **params)

        m = Mapping((0, 1, 0, 1)) | poly(self.ote_fwd[0], "ote_v2") & poly(
            self.ote_fwd[1], "ote_v3"
        )
        m.inverse = Mapping((0, 1, 0, 1)) | poly(self.ote_inv[0], "v2_oteip") & poly(
            self.ote_inv[1], "v3_oteip"
        )
        return m


def _fit(x, y, fx, fy, degree):
    """SIAF-ordered polynomials fitted in centred, scaled variables, returned raw."""
    from .geometry import _lstsq_poly

    return _lstsq_poly(np.asarray(x), np.asarray(y), np.asarray(fx), np.asarray(fy), degree)


def _eval(coeffs, x, y):
    from .geometry import poly_eval

    return poly_eval(coeffs[0], x, y), poly_eval(coeffs[1], x, y)


def nirspec_optics(det, ap: Aperture) -> NirspecOptics:
    return NirspecOptics(det.name, ap)


def _meta(m, det, reftype, descrip, filt=None):
    m.reftype = reftype
    m.telescope = "JWST"
    m.instrument.name = "NIRSPEC"
    m.instrument.detector = det.name if reftype in ("FPA", "CAMERA") else "N/A"
    m.instrument.p_detector = "NRS1|NRS2|"
    if filt:
        m.instrument.filter = filt
    m.useafter = "2022-01-01T00:00:00"
    m.pedigree = "DUMMY"
    m.author = "jwcal.simulate"
    m.description = descrip
    m.exposure.type = "N/A"
    m.exposure.p_exptype = (
        "NRS_TACQ|NRS_TASLIT|NRS_TACONFIRM|NRS_CONFIRM|NRS_FIXEDSLIT|NRS_IFU|NRS_MSASPEC|"
        "NRS_IMAGE|NRS_FOCUS|NRS_MIMF|NRS_MSATA|NRS_WATA|NRS_LAMP|NRS_BRIGHTOBJ|"
    )


def write_nirspec_refs(refdir, det, optics: NirspecOptics, filt: str) -> dict:
    """Write DISPERSER (MIRROR), FPA, CAMERA, COLLIMATOR, FORE, OTE and WAVELENGTHRANGE."""
    from astropy.modeling.models import Polynomial1D

    from ..datamodels import AsdfReferenceModel

    stem = f"jwcal_sim_{det.name.lower()}"
    paths = {}

    def save(reftype, descrip, *, filt_kw=None, **entries):
        ref = AsdfReferenceModel(**entries)
        m = ref.meta
        _meta(m, det, reftype.upper(), descrip, filt_kw)
        if reftype == "disperser":
            m.instrument.grating = "MIRROR"
        elif reftype == "wavelengthrange":
            m.wavelength_units = "m"
        else:
            m.input_units = "pixel" if reftype == "fpa" else "none"
            m.output_units = "none"
        paths[reftype] = ref.save(refdir / f"{stem}_{reftype}.asdf")

    tx, ty, tz, tilt = _ANGLES

    def tilt_entry(zero):
        return {
            "temperatures": [36.0],
            "tilt_model": Polynomial1D(1, c0=0.0, c1=_TILT_SLOPE),
            "unit": "arcsec",
            "zeroreadings": [float(zero)],
        }

    save("disperser", "NIRSpec grating wheel MIRROR", theta_x=tx, theta_y=ty, theta_z=tz,
         tilt_x=0.0, tilt_y=tilt, gwa_tiltx=tilt_entry(_ZERO_READING[0]),
         gwa_tilty=tilt_entry(_ZERO_READING[1]))  # fmt: skip
    fpa_kw = {f"{d.lower()}_model": fpa_model(d) for d in ("NRS1", "NRS2")}
    save("fpa", "NIRSpec focal-plane array: SCA pixels -> FPA (m)", **fpa_kw)
    save("camera", "NIRSpec camera: FPA (m) -> GWA direction tangents", model=camera_model())
    save("collimator", "NIRSpec collimator: GWA tangents -> MSA (m)", model=collimator_model())
    save(
        "fore",
        "NIRSpec fore optics: MSA (m) -> OTE image plane (deg)",
        filt_kw=filt,
        model=fore_model(),
    )
    save(
        "ote",
        f"OTE: image plane (deg) -> V2/V3 (arcsec), fitted to {optics.ap.source}",
        model=optics.ote_model(),
    )
    sel = [f"{f}_MIRROR" for f in IMAGING_FILTERS]
    save(
        "wavelengthrange",
        "NIRSpec wavelength ranges",
        waverange_selector=sel,
        order=[0] * len(sel),
        wavelengthrange=[list(v) for v in IMAGING_FILTERS.values()],
    )
    return paths
