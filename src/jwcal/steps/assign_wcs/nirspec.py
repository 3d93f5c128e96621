"""The gwcs pipeline of a NIRSpec image (MIRROR in the grating wheel: imaging and TA).

NIRSpec has no DISTORTION reference: its frames are detector -> sca -> gwa -> msa ->
oteip -> v2v3 -> v2v3vacorr -> world, through the FPA and CAMERA models, the grating-wheel
rotation (DISPERSER angles corrected by the tilt sensors, GWA_XTIL/GWA_YTIL), the mirror,
the COLLIMATOR, the FORE optics at the middle of the filter's WAVELENGTHRANGE, and the OTE,
as jwst 3.0 composes them.  An OPAQUE filter ends the pipeline at the MSA.

The grating-wheel rotation and the direction-cosine conversions are written with
standard astropy models (a rotation sequence, mappings and arithmetic), so the stored gwcs
needs no NIRSpec-specific ASDF tags to be read.
"""

from __future__ import annotations

import logging
import os

from ...errors import InputError, ReferenceFileError
from .transforms import dva_correction, v2v3_to_sky

log = logging.getLogger(__name__)

__all__ = [
    "NIRSPEC_IMAGING",
    "NIRSPEC_REFTYPES",
    "build_nirspec_pipeline",
    "unitless_to_dircos",
    "dircos_to_unitless",
    "gwa_rotation",
]

#: NIRSpec EXP_TYPEs whose WCS is the imaging one.
NIRSPEC_IMAGING = frozenset(
    ("NRS_IMAGE", "NRS_TACQ", "NRS_TASLIT", "NRS_TACONFIRM", "NRS_CONFIRM", "NRS_MSATA",
     "NRS_WATA", "NRS_FOCUS", "NRS_MIMF", "NRS_VERIFY")
)  # fmt: skip

#: The references the NIRSpec imaging WCS reads.
NIRSPEC_REFTYPES = ("disperser", "fpa", "camera", "collimator", "fore", "ote", "wavelengthrange")

#: NIRSpec's full spectral range (m): the range of a filter the WAVELENGTHRANGE lacks.
_FULL_RANGE = [0.6e-6, 5.3e-6]


def unitless_to_dircos():
    """(x, y) -> direction cosines of the vector (x, y, 1)."""
    from astropy.modeling.models import Const2D, Mapping, Polynomial2D

    inv_norm = Polynomial2D(2, c0_0=1.0, c2_0=1.0, c0_2=1.0) ** Const2D(-0.5)
    model = Mapping((0, 1, 0, 1, 0, 1)) | (
        (Mapping((0,), n_inputs=2) * inv_norm) & (Mapping((1,), n_inputs=2) * inv_norm) & inv_norm
    )
    model.name = "unitless2directional_cosines"
    back = _dircos_to_unitless()
    model.inverse = back
    return model


def dircos_to_unitless():
    """Direction cosines (x, y, z) -> (x / z, y / z)."""
    model = _dircos_to_unitless()
    model.inverse = unitless_to_dircos()
    return model


def _dircos_to_unitless():
    from astropy.modeling.models import Mapping

    z = Mapping((2,), n_inputs=3)
    model = Mapping((0, 1, 2, 0, 1, 2)) | (Mapping((0,), n_inputs=3) / z) & (
        Mapping((1,), n_inputs=3) / z
    )
    model.name = "directional_cosines2unitless"
    return model


def gwa_rotation(angles):
    """The grating wheel's rotation of direction cosines: frame rotations about x, y, z, y
    by theta_x, theta_y, theta_z, tilt_y (deg)."""
    from astropy.modeling.models import RotationSequence3D

    return RotationSequence3D([float(a) for a in angles], axes_order="xyzy", name="rotation")


def _open(ref, reftype):
    from ... import datamodels

    if isinstance(ref, (str, os.PathLike)):
        return datamodels.open(ref)
    if ref is None:
        raise ReferenceFileError(f"NIRSpec imaging needs a {reftype.upper()} reference")
    return ref


def _entry(ref, name, reftype):
    try:
        return getattr(ref, name)
    except AttributeError:
        raise ReferenceFileError(f"{reftype.upper()} reference without '{name}'") from None


def _tilt_corrected_angles(disperser, meta) -> list[float]:
    """theta_x, theta_y, theta_z, tilt_y corrected for the grating-wheel tilt readings: half
    the change of the calibrated angle between the exposure's reading and the calibration's
    zero reading (GWA_XTIL corrects theta_y, GWA_YTIL theta_x)."""
    theta = {k: float(_entry(disperser, k, "disperser")) for k in
             ("theta_x", "theta_y", "theta_z", "tilt_y")}  # fmt: skip

    def correction(calib, reading):
        calib = dict(calib)
        model = calib["tilt_model"]
        return 0.5 * (model(reading) - model(calib["zeroreadings"][0])) / 3600.0

    xtilt = meta.get("instrument.gwa_xtilt")
    ytilt = meta.get("instrument.gwa_ytilt")
    if xtilt is not None:
        theta["theta_y"] += float(correction(_entry(disperser, "gwa_tiltx", "disperser"), xtilt))
    if ytilt is not None:
        theta["theta_x"] += float(correction(_entry(disperser, "gwa_tilty", "disperser"), ytilt))
    log.info("GWA tilt readings %s, %s: angles %s", xtilt, ytilt, theta)
    return [theta["theta_x"], theta["theta_y"], theta["theta_z"], theta["tilt_y"]]


def _wavelength_range(meta, ref) -> tuple[int, list[float]]:
    """(spectral order, [min, max] m) of the exposure's filter and grating."""
    filt = meta.get("instrument.filter")
    grating = meta.get("instrument.grating")
    exp = meta.get("exposure.type")
    lamp_exposure = exp in ("NRS_LAMP", "NRS_AUTOWAVE", "NRS_AUTOFLAT")
    key = f"{meta.get('instrument.lamp_state')}_{grating}" if (
        filt == "OPAQUE" or lamp_exposure) else f"{filt}_{grating}"  # fmt: skip
    selector = list(_entry(ref, "waverange_selector", "wavelengthrange"))
    orders = list(_entry(ref, "order", "wavelengthrange"))
    ranges = list(_entry(ref, "wavelengthrange", "wavelengthrange"))
    if key in selector:
        i = selector.index(key)
        return int(orders[i]), [float(v) for v in ranges[i]]
    gratings = [s.split("_")[1] for s in selector]
    if grating in gratings:
        i = gratings.index(grating)
        order, wrange = int(orders[i]), [float(v) for v in ranges[i]]
    else:
        order, wrange = -1, list(_FULL_RANGE)
    log.info("%s is not in the WAVELENGTHRANGE reference: order %s, range %s", key, order, wrange)
    return order, wrange


def _dms_to_sca(meta):
    from astropy.modeling.models import Identity, Scale, Shift

    det = str(meta.get("instrument.detector") or "").upper()
    xstart = meta.get("subarray.xstart") or 1
    ystart = meta.get("subarray.ystart") or 1
    to_full = Shift(xstart - 1) & Shift(ystart - 1)
    if det == "NRS2":
        flip = Shift(-2047) & Shift(-2047) | Scale(-1) & Scale(-1)
    elif det == "NRS1":
        flip = Identity(2)
    else:
        raise InputError(f"assign_wcs: NIRSpec detector {det!r} is not NRS1 or NRS2")
    model = to_full | flip
    model.name = "dms2sca"
    return model


def build_nirspec_pipeline(model, refs: dict) -> list:
    """The gwcs pipeline of a NIRSpec imaging exposure.

    Parameters
    ----------
    model : ImageModel or CubeModel
        The exposure; ``meta.wcsinfo`` gets WAVSTART, WAVEND and SPORDER as in jwst.
    refs : dict
        reftype -> path or model, for :data:`NIRSPEC_REFTYPES`.
    """
    from astropy import coordinates as coord
    from astropy import units as u
    from astropy.modeling.models import Const1D, Identity, Mapping
    from gwcs import coordinate_frames as cf

    meta = model.meta
    disperser = _open(refs.get("disperser"), "disperser")
    angles = _tilt_corrected_angles(disperser, meta)
    det = str(meta.get("instrument.detector")).upper()
    fpa = _entry(_open(refs.get("fpa"), "fpa"), f"{det.lower()}_model", "fpa").copy()
    camera = _entry(_open(refs.get("camera"), "camera"), "model", "camera").copy()
    collimator = _entry(_open(refs.get("collimator"), "collimator"), "model", "collimator")
    collimator = collimator.copy()

    det2gwa = fpa | camera | unitless_to_dircos() | gwa_rotation(angles)
    det2gwa.name = "det2gwa"
    mirror = Const1D(-1) * Identity(1) & Const1D(-1) * Identity(1) & Identity(1)
    back = gwa_rotation(angles).inverse
    order, wrange = _wavelength_range(meta, _open(refs.get("wavelengthrange"), "wavelengthrange"))
    meta.wcsinfo.waverange_start = wrange[0]
    meta.wcsinfo.waverange_end = wrange[1]
    meta.wcsinfo.spectral_order = order
    lam = wrange[0] + (wrange[1] - wrange[0]) * 0.5
    if meta.get("instrument.filter") == "OPAQUE":
        lam *= 1e6  # the MSA-terminal pipeline works in microns
    with_lam = Mapping((0, 1, 1)) | Identity(2) & Const1D(lam)
    gwa2msa = mirror | back | dircos_to_unitless() | collimator | with_lam
    gwa2msa.inverse = collimator.inverse | unitless_to_dircos() | back.inverse | mirror
    gwa2msa.name = "gwa2msa"

    detector = cf.Frame2D(name="detector", axes_order=(0, 1))
    sca = cf.Frame2D(name="sca", axes_order=(0, 1))
    gwa = cf.Frame2D(name="gwa", axes_order=(0, 1), unit=(u.rad, u.rad),
                     axes_names=("alpha_in", "beta_in"))  # fmt: skip
    msa = cf.Frame2D(name="msa", axes_order=(0, 1), unit=(u.m, u.m),
                     axes_names=("x_msa", "y_msa"))  # fmt: skip
    dms2sca = _dms_to_sca(meta)
    if meta.get("instrument.filter") == "OPAQUE":
        return [(detector, dms2sca), (sca, det2gwa), (gwa, gwa2msa), (msa, None)]

    fore = _entry(_open(refs.get("fore"), "fore"), "model", "fore").copy()
    msa2ote = Mapping((0, 1, 2, 2), name="msa2fore_mapping") | fore & Identity(1)
    msa2oteip = msa2ote | Mapping((0, 1), n_inputs=3)
    # the way back: the fore optics' inverse, given the OTE position twice (jwst's choice)
    back_fore = fore.inverse & Identity(1)
    msa2oteip.inverse = Mapping((0, 1, 0, 1)) | back_fore | Mapping((0, 1), n_inputs=3)
    msa2oteip.name = "msa2oteip"
    ote = _entry(_open(refs.get("ote"), "ote"), "model", "ote").copy()
    ote.name = "oteip2v23"

    v2_ref, v3_ref = meta.get("wcsinfo.v2_ref"), meta.get("wcsinfo.v3_ref")
    missing = [k for k, p in (("V2_REF", "v2_ref"), ("V3_REF", "v3_ref"), ("ROLL_REF", "roll_ref"),
                              ("RA_REF", "ra_ref"), ("DEC_REF", "dec_ref"))
               if meta.get(f"wcsinfo.{p}") is None]  # fmt: skip
    if missing:
        raise InputError(f"assign_wcs: the exposure has no {', '.join(missing)}")
    va = dva_correction(meta.get("velocity_aberration.scale_factor"), v2_ref, v3_ref)
    va.name = "va_corr"
    tel2sky = v2v3_to_sky(
        v2_ref,
        v3_ref,
        meta.get("wcsinfo.roll_ref"),
        meta.get("wcsinfo.ra_ref"),
        meta.get("wcsinfo.dec_ref"),
    )
    tel2sky.name = "v2v3_to_sky"
    oteip = cf.Frame2D(
        name="oteip", axes_order=(0, 1), unit=(u.deg, u.deg), axes_names=("x_oteip", "y_oteip")
    )
    v2v3 = cf.Frame2D(
        name="v2v3", axes_order=(0, 1), unit=(u.arcsec, u.arcsec), axes_names=("v2", "v3")
    )
    v2v3vacorr = cf.Frame2D(
        name="v2v3vacorr", axes_order=(0, 1), unit=(u.arcsec, u.arcsec), axes_names=("v2", "v3")
    )
    world = cf.CelestialFrame(name="world", axes_order=(0, 1), reference_frame=coord.ICRS())
    return [
        (detector, dms2sca),
        (sca, det2gwa),
        (gwa, gwa2msa),
        (msa, msa2oteip),
        (oteip, ote),
        (v2v3, va),
        (v2v3vacorr, tel2sky),
        (world, None),
    ]  # fmt: skip
