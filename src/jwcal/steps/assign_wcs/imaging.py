"""The gwcs pipeline of an imaging exposure: detector -> v2v3 -> v2v3vacorr -> world.

detector -> v2v3 is the DISTORTION reference's transform, after the FILTEROFFSET shift of
the exposure's filter (and pupil) and the subarray offset; v2v3 -> v2v3vacorr corrects the
differential velocity aberration; v2v3vacorr -> world rotates to ICRS with the pointing
keywords.  The bounding box is the reference transform's own, else the array's; a subarray
gets the subarray's (SUBSIZE1/2).  Per instrument, as jwst 3.0 does it: NIRCam and NIRISS
match FILTEROFFSET rows on filter and pupil, MIRI on filter alone, FGS has no filter
offsets and keeps a bounding box its reference already has.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache

from ...errors import InputError, ReferenceFileError
from .transforms import array_bbox, dva_correction, subarray_bbox, subarray_offset, v2v3_to_sky

log = logging.getLogger(__name__)

__all__ = ["IMAGING_MODES", "SKIPPED_MODES", "build_imaging_pipeline", "imaging_mode"]

#: EXP_TYPEs whose WCS is the imaging one, by instrument.
IMAGING_MODES = {
    "NIRCAM": frozenset(
        ("NRC_IMAGE", "NRC_TACQ", "NRC_TACONFIRM", "NRC_CORON", "NRC_FOCUS", "NRC_TSIMAGE")
    ),
    "NIRISS": frozenset(("NIS_IMAGE", "NIS_AMI", "NIS_TACQ", "NIS_TACONFIRM", "NIS_FOCUS")),
    "FGS": frozenset(("FGS_IMAGE", "FGS_FOCUS")),
    "MIRI": frozenset(
        ("MIR_IMAGE", "MIR_TACQ", "MIR_LYOT", "MIR_4QPM", "MIR_CORONCAL", "MIR_TACONFIRM")
    ),
}

#: EXP_TYPEs for which jwst builds no WCS (calibration exposures): the step is SKIPPED.
SKIPPED_MODES = frozenset(
    (
        "NRC_LED", "NRC_DARK", "NRC_FLAT", "NRC_GRISM",
        "NIS_DARK", "NIS_LAMP",
        "FGS_SKYFLAT", "FGS_INTFLAT", "FGS_DARK",
        "MIR_FLATMRS", "MIR_FLATIMAGE", "MIR_FLAT-MRS", "MIR_FLAT-IMAGE", "MIR_DARK",
        "NRS_DARK",
    )
)  # fmt: skip


def imaging_mode(meta) -> str:
    """``"imaging"`` (a DISTORTION-based WCS), ``"nirspec"`` (NIRSpec's optical model),
    ``"skip"`` (no WCS for this exposure type), or raise InputError."""
    from .nirspec import NIRSPEC_IMAGING

    inst = str(meta.get("instrument.name") or "").upper()
    exp = str(meta.get("exposure.type") or "").upper()
    if exp in IMAGING_MODES.get(inst, ()):
        return "imaging"
    if inst == "NIRSPEC" and exp in NIRSPEC_IMAGING:
        return "nirspec"
    if exp in SKIPPED_MODES:
        return "skip"
    if not inst or not exp:
        raise InputError("assign_wcs needs INSTRUME and EXP_TYPE in the exposure's metadata")
    raise InputError(f"assign_wcs: EXP_TYPE {exp} of {inst} is not an imaging mode jwcal supports")


@lru_cache(maxsize=16)
def _read_transform(path: str, stamp: tuple):
    from ... import datamodels

    ref = datamodels.DistortionModel(path)
    try:
        return ref.model
    except AttributeError:
        raise ReferenceFileError(f"{path}: DISTORTION reference without a 'model'") from None


def distortion_transform(ref):
    """The detector -> V2/V3 transform of a DISTORTION reference (a path or a model),
    as a fresh copy (the pipeline binds bounding boxes to it)."""
    if isinstance(ref, (str, os.PathLike)):
        st = os.stat(ref)
        model = _read_transform(os.fspath(ref), (st.st_mtime_ns, st.st_size))
    else:
        model = getattr(ref, "model", None)
        if model is None:
            raise ReferenceFileError("DISTORTION reference without a 'model'")
    return model.copy()


def _filter_rows(ref) -> list:
    if isinstance(ref, (str, os.PathLike)):
        from ... import datamodels

        ref = datamodels.FilteroffsetModel(ref)
    rows = getattr(ref, "filters", None)
    if rows is None:
        raise ReferenceFileError("FILTEROFFSET reference without a 'filters' list")
    return list(rows)


def _offset_row(rows, match: dict):
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    if len(found) > 1:
        raise ReferenceFileError(
            f"FILTEROFFSET has {len(found)} rows for "
            + ", ".join(f"{k}={v}" for k, v in match.items())
        )
    if not found:
        log.warning("No FILTEROFFSET row matches %s", match)
        return None
    return found[0]


def _ref_bbox(transform):
    try:
        return transform.bounding_box.bounding_box(order="F")
    except NotImplementedError:
        return None


def _with_filter_offset(transform, meta, rows, instrument: str):
    from astropy.modeling.models import Shift

    filt = meta.get("instrument.filter")
    if instrument == "MIRI":
        # MIRI matches on the filter alone and takes the first row that does
        row = next((r for r in rows if r.get("filter") == filt), None)
        col, rowoff = (row.get("column_offset"), row.get("row_offset")) if row else (None, None)
        if col is None or rowoff is None:
            return transform
    else:
        row = _offset_row(rows, {"filter": filt, "pupil": meta.get("instrument.pupil")})
        if row is None:
            return transform
        col = row.get("column_offset", "N/A")
        rowoff = row.get("row_offset", "N/A")
        if col == "N/A" or rowoff == "N/A":
            return transform
    log.info("Filter offsets: column %s, row %s", col, rowoff)
    return Shift(col) & Shift(rowoff) | transform


def build_imaging_pipeline(model, distortion, filteroffset=None) -> list:
    """The gwcs pipeline (list of (frame, transform)) of an imaging exposure.

    Parameters
    ----------
    model : ImageModel or CubeModel
        The exposure (its pointing keywords, subarray, filter, pupil and shape are used).
    distortion : path or DistortionModel
        The DISTORTION reference.
    filteroffset : path, FilteroffsetModel or None
        The FILTEROFFSET reference (ignored for FGS).
    """
    from astropy import coordinates as coord
    from astropy import units as u
    from astropy.modeling import bind_bounding_box
    from gwcs import coordinate_frames as cf

    meta = model.meta
    inst = str(meta.get("instrument.name") or "").upper()
    shape = model.shape
    transform = distortion_transform(distortion)
    bbox = _ref_bbox(transform)
    if inst == "FGS":
        if bbox is None:
            bind_bounding_box(transform, array_bbox(shape), order="F")
    else:
        if filteroffset is not None:
            transform = _with_filter_offset(transform, meta, _filter_rows(filteroffset), inst)
        elif inst == "MIRI":
            log.warning("No FILTEROFFSET reference: the MIRI filter offset is not applied")
        bind_bounding_box(transform, array_bbox(shape) if bbox is None else bbox, order="F")
    to_full = subarray_offset(meta)
    if to_full is not None:
        transform = to_full | transform
        bind_bounding_box(transform, subarray_bbox(meta), order="F")

    need = {
        "wcsinfo.v2_ref": "V2_REF",
        "wcsinfo.v3_ref": "V3_REF",
        "wcsinfo.roll_ref": "ROLL_REF",
        "wcsinfo.ra_ref": "RA_REF",
        "wcsinfo.dec_ref": "DEC_REF",
    }
    missing = [kw for path, kw in need.items() if meta.get(path) is None]
    if missing:
        raise InputError(f"assign_wcs: the exposure has no {', '.join(missing)}")
    v2_ref = meta.get("wcsinfo.v2_ref")
    v3_ref = meta.get("wcsinfo.v3_ref")
    va = dva_correction(meta.get("velocity_aberration.scale_factor"), v2_ref, v3_ref)
    tel2sky = v2v3_to_sky(
        v2_ref,
        v3_ref,
        meta.get("wcsinfo.roll_ref"),
        meta.get("wcsinfo.ra_ref"),
        meta.get("wcsinfo.dec_ref"),
    )
    detector = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    v2v3 = cf.Frame2D(
        name="v2v3", axes_order=(0, 1), axes_names=("v2", "v3"), unit=(u.arcsec, u.arcsec)
    )
    v2v3vacorr = cf.Frame2D(
        name="v2v3vacorr", axes_order=(0, 1), axes_names=("v2", "v3"), unit=(u.arcsec, u.arcsec)
    )
    world = cf.CelestialFrame(reference_frame=coord.ICRS(), name="world")
    return [(detector, transform), (v2v3, va), (v2v3vacorr, tel2sky), (world, None)]
