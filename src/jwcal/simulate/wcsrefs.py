"""DISTORTION and FILTEROFFSET reference files (ASDF), as CRDS delivers them.

The DISTORTION file holds an astropy transform from 0-based detector pixels (full frame,
DMS orientation) to V2/V3 in arcsec, built the way the instrument teams build theirs from
the SIAF: shift to the 1-based reference pixel, the degree-n science -> ideal polynomials,
the ideal -> V2/V3 rotation (V3IdlYAngle, VIdlParity), and the shift to (V2Ref, V3Ref);
every piece carries its inverse (the SIAF's ideal -> science polynomials), so the whole
model has one.  FILTEROFFSET lists a column and row offset (pixels) per filter (and pupil):
jwst adds them to the pixel coordinates before the distortion.
"""

from __future__ import annotations

import zlib

import numpy as np

from .geometry import Aperture, poly_terms

__all__ = [
    "distortion_transform",
    "filter_offsets",
    "FILTERS",
    "write_distortion",
    "write_filteroffset",
]

#: Filters (and pupils) of each imager, for FILTEROFFSET rows and PHOTOM tables.
FILTERS = {
    "NIRCAM_SHORT": [
        ("F070W", "CLEAR"),
        ("F090W", "CLEAR"),
        ("F115W", "CLEAR"),
        ("F140M", "CLEAR"),
        ("F150W", "CLEAR"),
        ("F182M", "CLEAR"),
        ("F200W", "CLEAR"),
        ("F210M", "CLEAR"),
        ("F150W2", "CLEAR"),
        ("F150W2", "F162M"),
        ("F150W2", "F164N"),
    ],
    "NIRCAM_LONG": [
        ("F250M", "CLEAR"),
        ("F277W", "CLEAR"),
        ("F300M", "CLEAR"),
        ("F335M", "CLEAR"),
        ("F356W", "CLEAR"),
        ("F410M", "CLEAR"),
        ("F444W", "CLEAR"),
        ("F480M", "CLEAR"),
        ("F322W2", "CLEAR"),
        ("F444W", "F405N"),
        ("F444W", "F466N"),
        ("F444W", "F470N"),
    ],
    "NIRISS": [
        ("CLEAR", "F090W"),
        ("CLEAR", "F115W"),
        ("CLEAR", "F150W"),
        ("CLEAR", "F200W"),
        ("F277W", "CLEARP"),
        ("F356W", "CLEARP"),
        ("F444W", "CLEARP"),
        ("F480M", "CLEARP"),
        ("CLEAR", "F140M"),
        ("CLEAR", "F158M"),
    ],
    "MIRI": [
        ("F560W", None),
        ("F770W", None),
        ("F1000W", None),
        ("F1130W", None),
        ("F1280W", None),
        ("F1500W", None),
        ("F1800W", None),
        ("F2100W", None),
        ("F2550W", None),
    ],
    "FGS": [(None, None)],
    "NIRSPEC": [("CLEAR", None), ("F110W", None), ("F140X", None)],
}


def filter_key(det) -> str:
    if det.instrument == "NIRCAM":
        return "NIRCAM_LONG" if det.channel == "LONG" else "NIRCAM_SHORT"
    return det.instrument


def _poly(coeffs, degree, name):
    from astropy.modeling.models import Polynomial2D

    params = {f"c{p}_{q}": float(c) for c, (p, q) in zip(coeffs, poly_terms(degree), strict=True)}
    return Polynomial2D(degree, name=name, **params)


def distortion_transform(ap: Aperture):
    """The astropy model, 0-based pixels -> V2/V3 arcsec, with its inverse."""
    from astropy.modeling.models import Mapping, Polynomial2D, Shift

    deg = ap.degree
    # SIAF pixel coordinates are 1-based and measured from the reference pixel.
    to_ref = Shift(1.0 - ap.xsciref, name="x_to_ref") & Shift(1.0 - ap.ysciref, name="y_to_ref")
    sci2idl = Mapping((0, 1, 0, 1)) | _poly(ap.sci2idl_x, deg, "sci2idl_x") & _poly(
        ap.sci2idl_y, deg, "sci2idl_y"
    )
    sci2idl.inverse = Mapping((0, 1, 0, 1)) | _poly(ap.idl2sci_x, deg, "idl2sci_x") & _poly(
        ap.idl2sci_y, deg, "idl2sci_y"
    )
    a = np.deg2rad(ap.v3yangle)
    p = ap.vparity
    idl2v = Mapping((0, 1, 0, 1)) | Polynomial2D(
        1, c0_0=0.0, c1_0=p * np.cos(a), c0_1=np.sin(a), name="idl2v2"
    ) & Polynomial2D(1, c0_0=0.0, c1_0=-p * np.sin(a), c0_1=np.cos(a), name="idl2v3")
    idl2v.inverse = Mapping((0, 1, 0, 1)) | Polynomial2D(
        1, c0_0=0.0, c1_0=p * np.cos(a), c0_1=-p * np.sin(a), name="v2v3_to_idlx"
    ) & Polynomial2D(1, c0_0=0.0, c1_0=np.sin(a), c0_1=np.cos(a), name="v2v3_to_idly")
    to_v = Shift(ap.v2ref, name="v2_ref") & Shift(ap.v3ref, name="v3_ref")
    model = to_ref | sci2idl | idl2v | to_v
    model.name = f"{ap.name}_distortion"
    return model


def filter_offsets(det) -> list[dict]:
    """Column and row offsets (pixels) of each filter of the detector's instrument.

    Deterministic per detector and filter, up to about a pixel, like the flight values
    (which are measured relative to a reference filter, whose offsets are zero).
    """
    rows = []
    if det.instrument in ("FGS", "NIRSPEC"):
        return rows  # no FILTEROFFSET reference
    for i, (filt, pupil) in enumerate(FILTERS[filter_key(det)]):
        if filt is None:
            continue
        if i == 0:
            dc, dr = 0.0, 0.0
        else:
            h = zlib.crc32(f"{det.name}:{filt}:{pupil}".encode())
            rng = np.random.default_rng(h)
            dc, dr = (float(v) for v in np.round(rng.uniform(-1.2, 1.2, 2), 3))
        row = {"filter": filt, "column_offset": dc, "row_offset": dr}
        if pupil is not None:
            row["pupil"] = pupil
        rows.append(row)
    return rows


def _ref_meta(m, det, reftype: str, descrip: str, exp_type: str | None) -> None:
    m.reftype = reftype
    m.telescope = "JWST"
    m.instrument.name = det.instrument
    m.instrument.detector = det.name
    if det.channel:
        m.instrument.channel = det.channel
    if det.module:
        m.instrument.module = det.module
    m.useafter = "2022-01-01T00:00:00"
    m.pedigree = "DUMMY"
    m.author = "jwcal.simulate"
    m.description = descrip
    m.subarray.name = "GENERIC"
    if exp_type:
        m.exposure.type = exp_type
    m.exposure.p_exptype = exp_type + "|" if exp_type else "ANY|"


_PUPILS = {
    "NIRCAM_SHORT": "CLEAR|F162M|F164N|GDHS0|GDHS60|WLM8|WLP8|PINHOLES|MASKIPR|FLAT|",
    "NIRCAM_LONG": "CLEAR|F323N|F405N|F466N|F470N|PINHOLES|MASKIPR|GRISMR|GRISMC|FLAT|",
}

_IMAGING_EXP_TYPES = {
    "NIRCAM": "NRC_IMAGE|NRC_TSIMAGE|NRC_FLAT|NRC_LED|NRC_WFSC|NRC_TACQ|NRC_TACONFIRM|"
    "NRC_FOCUS|NRC_DARK|NRC_CORON|",
    "NIRISS": "NIS_IMAGE|NIS_AMI|NIS_TACQ|NIS_TACONFIRM|NIS_FOCUS|",
    "FGS": "FGS_IMAGE|FGS_FOCUS|FGS_SKYFLAT|FGS_INTFLAT|FGS_DARK|",
    "MIRI": "MIR_IMAGE|MIR_TACQ|MIR_LYOT|MIR_4QPM|MIR_CORONCAL|MIR_TACONFIRM|",
}


def write_distortion(path, det, ap: Aperture):
    """Write the DISTORTION reference of a detector (full frame, every imaging EXP_TYPE)."""
    from ..datamodels import DistortionModel

    ref = DistortionModel(model=distortion_transform(ap))
    m = ref.meta
    _ref_meta(m, det, "DISTORTION", f"Distortion of {ap.name} from {ap.source}", None)
    m.exposure.p_exptype = _IMAGING_EXP_TYPES[det.instrument]
    m.exposure.type = m.exposure.p_exptype.split("|")[0]
    if det.instrument == "NIRCAM":
        m.instrument.p_pupil = _PUPILS[filter_key(det)]
        m.instrument.pupil = "CLEAR"
    m.input_units = "pixel"
    m.output_units = "arcsec"
    return ref.save(path)


def write_filteroffset(path, det):
    """Write the FILTEROFFSET reference of a detector (None for FGS, which has none)."""
    from ..datamodels import FilteroffsetModel

    if det.instrument == "FGS":
        return None
    ref = FilteroffsetModel(filters=filter_offsets(det))
    _ref_meta(ref.meta, det, "FILTEROFFSET", "Filter-dependent pointing offsets (pixels)", None)
    ref.meta.exposure.p_exptype = _IMAGING_EXP_TYPES[det.instrument]
    ref.meta.exposure.type = ref.meta.exposure.p_exptype.split("|")[0]
    ref.meta.input_units = "pixel"
    return ref.save(path)
