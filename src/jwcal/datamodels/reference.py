"""Reference-file models, with the extensions and tables of the CRDS files.

Each class names the REFTYPE(s) it reads.  Reference files are FITS files whose primary
header carries REFTYPE, the selection keywords (INSTRUME, DETECTOR, READPATT, SUBARRAY, ...)
and USEAFTER; the ASDF-format ones (distortion, filter offsets, ...) are
:class:`~jwcal.datamodels.asdf_models.AsdfReferenceModel`.
"""

from __future__ import annotations

from typing import ClassVar

from .model import DataModel
from .schema import ArraySpec, ModelSchema, TableSpec

__all__ = [
    "ReferenceFileModel",
    "MaskModel",
    "SaturationModel",
    "SuperBiasModel",
    "LinearityModel",
    "DarkModel",
    "DarkMIRIModel",
    "GainModel",
    "ReadnoiseModel",
    "IPCModel",
    "IRS2Model",
    "RSCDModel",
    "ResetModel",
    "PersistenceSatModel",
    "TrapDensityModel",
    "TrapParsModel",
    "TrapsFilledModel",
    "LastFrameModel",
    "FlatModel",
    "PixelAreaModel",
    "PictureFrameModel",
    "NrcImgPhotomModel",
    "NisImgPhotomModel",
    "MirImgPhotomModel",
    "FgsImgPhotomModel",
    "DQ_DEF_COLUMNS",
    "REFTYPE_MODELS",
]

#: The DQ_DEF table that documents the DQ bits a reference file uses.
DQ_DEF_COLUMNS = (("BIT", "i4"), ("VALUE", "u4"), ("NAME", "U40"), ("DESCRIPTION", "U80"))
_DQ_DEF = TableSpec("DQ_DEF", DQ_DEF_COLUMNS)


class ReferenceFileModel(DataModel):
    """Base of the reference models: ``reftypes`` are the REFTYPE values it reads."""

    reftypes: ClassVar[tuple[str, ...]] = ()


def _sci(ndim=(2,), default=0.0):
    return ArraySpec("SCI", "float32", ndim, default)


def _dq(ndim=(2,), like="image"):
    return ArraySpec("DQ", "uint32", ndim, 0, like=like)


def _err(ndim=(2,)):
    return ArraySpec("ERR", "float32", ndim, None, like=None)


class MaskModel(ReferenceFileModel):
    """Bad-pixel mask (MASK): the DQ flags dq_init copies into PIXELDQ."""

    reftypes = ("MASK",)
    schema_def = ModelSchema(
        arrays={"dq": _dq(like=None)}, tables={"dq_def": _DQ_DEF}, primary="dq"
    )


class SaturationModel(ReferenceFileModel):
    """Saturation thresholds in raw DN, bias included (SATURATION)."""

    reftypes = ("SATURATION",)
    schema_def = ModelSchema(
        arrays={"data": _sci(default=100000.0), "dq": _dq()}, tables={"dq_def": _DQ_DEF}
    )


class SuperBiasModel(ReferenceFileModel):
    """Superbias in DN (SUPERBIAS)."""

    reftypes = ("SUPERBIAS",)
    schema_def = ModelSchema(
        arrays={"data": _sci(), "dq": _dq(), "err": _err()}, tables={"dq_def": _DQ_DEF}
    )


class LinearityModel(ReferenceFileModel):
    """Polynomial linearity correction (LINEARITY): COEFFS of shape (ncoeffs, ny, nx)."""

    reftypes = ("LINEARITY",)
    schema_def = ModelSchema(
        arrays={
            "coeffs": ArraySpec("COEFFS", "float32", (3,), 0.0),
            "inv_coeffs": ArraySpec("INV_COEFFS", "float32", (3,), None, like=None),
            "dq": ArraySpec("DQ", "uint32", (2,), 0, like="image"),
        },
        tables={"dq_def": _DQ_DEF},
        primary="coeffs",
    )


class DarkModel(ReferenceFileModel):
    """Near-IR dark (DARK): SCI of shape (ngroups, ny, nx) in DN, frame- or group-resolved."""

    reftypes = ("DARK",)
    schema_def = ModelSchema(
        arrays={
            "data": _sci((3,)),
            "dq": _dq(),
            "err": _err((3,)),
            "average_dark_current": ArraySpec("AVDRKCUR", "float32", (2,), None, like=None),
        },
        tables={"dq_def": _DQ_DEF},
    )


class DarkMIRIModel(ReferenceFileModel):
    """MIRI dark (DARK): SCI of shape (nints, ngroups, ny, nx)."""

    reftypes = ("DARK",)
    schema_def = ModelSchema(
        arrays={
            "data": _sci((4,)),
            "dq": ArraySpec("DQ", "uint32", (2, 4), 0, like=None),
            "err": _err((4,)),
            "average_dark_current": ArraySpec("AVDRKCUR", "float32", (2,), None, like=None),
        },
        tables={"dq_def": _DQ_DEF},
    )


class GainModel(ReferenceFileModel):
    """Gain in e-/DN (GAIN)."""

    reftypes = ("GAIN",)
    schema_def = ModelSchema(arrays={"data": _sci()})


class ReadnoiseModel(ReferenceFileModel):
    """Correlated-double-sample read noise in DN (READNOISE)."""

    reftypes = ("READNOISE",)
    schema_def = ModelSchema(arrays={"data": _sci()})


class IPCModel(ReferenceFileModel):
    """Inter-pixel capacitance deconvolution kernel (IPC): (ky, kx) or (ky, kx, ny, nx)."""

    reftypes = ("IPC",)
    schema_def = ModelSchema(arrays={"data": ArraySpec("SCI", "float32", (2, 4), 1.0)})


class IRS2Model(ReferenceFileModel):
    """NIRSpec IRS2 reference-pixel coefficients (REFPIX): the IRS2 and DQ tables."""

    reftypes = ("REFPIX",)
    schema_def = ModelSchema(
        tables={
            "irs2_table": TableSpec(
                "IRS2",
                tuple((f"{ab}_{i}", "f4") for ab in ("alpha", "beta") for i in range(4)),
            ),
            "dq_table": TableSpec("DQ", (("OUTPUT", "u2"), ("ODD_EVEN", "u2"), ("MASK", "u4"))),
        },
        primary="irs2_table",
    )


class RSCDModel(ReferenceFileModel):
    """MIRI reset-switch charge decay (RSCD): groups to skip per subarray and read pattern."""

    reftypes = ("RSCD",)
    schema_def = ModelSchema(
        tables={
            "rscd_group_skip_table": TableSpec(
                "RSCD_GROUP_SKIP",
                (
                    ("subarray", "U17"),
                    ("readpatt", "U12"),
                    ("group_skip1", "i4"),
                    ("group_skip", "i4"),
                ),
            )
        },
        primary="rscd_group_skip_table",
    )


class ResetModel(ReferenceFileModel):
    """MIRI reset anomaly (RESET): SCI of shape (nints, ngroups, ny, nx) in DN."""

    reftypes = ("RESET",)
    schema_def = ModelSchema(
        arrays={"data": _sci((4,)), "dq": _dq(), "err": _err((4,))}, tables={"dq_def": _DQ_DEF}
    )


class PersistenceSatModel(ReferenceFileModel):
    """Persistence saturation level in DN (PERSAT)."""

    reftypes = ("PERSAT",)
    schema_def = ModelSchema(
        arrays={"data": _sci(default=90000.0), "dq": _dq()}, tables={"dq_def": _DQ_DEF}
    )


class TrapDensityModel(ReferenceFileModel):
    """Trap density per pixel (TRAPDENSITY)."""

    reftypes = ("TRAPDENSITY",)
    schema_def = ModelSchema(arrays={"data": _sci(), "dq": _dq()}, tables={"dq_def": _DQ_DEF})


class TrapParsModel(ReferenceFileModel):
    """Trap capture and decay parameters (TRAPPARS)."""

    reftypes = ("TRAPPARS",)
    schema_def = ModelSchema(
        tables={
            "trappars_table": TableSpec(
                "TRAPPARS",
                (("capture0", "f8"), ("capture1", "f8"), ("capture2", "f8"), ("decay_param", "f8")),
            )
        },
        primary="trappars_table",
    )


class TrapsFilledModel(ReferenceFileModel):
    """Traps filled at the end of an exposure, per trap family (the persistence carry-over)."""

    reftypes = ("TRAPSFILLED",)
    schema_def = ModelSchema(arrays={"data": _sci((3,))})


class LastFrameModel(ReferenceFileModel):
    """MIRI last-frame correction (LASTFRAME)."""

    reftypes = ("LASTFRAME",)
    schema_def = ModelSchema(
        arrays={"data": _sci(), "dq": _dq(), "err": _err()}, tables={"dq_def": _DQ_DEF}
    )


class FlatModel(ReferenceFileModel):
    """Imaging flat field (FLAT), normalised to 1."""

    reftypes = ("FLAT",)
    schema_def = ModelSchema(
        arrays={"data": _sci(), "dq": _dq(), "err": ArraySpec("ERR", "float32", (2,), 0.0)},
        tables={"dq_def": _DQ_DEF},
    )


class PixelAreaModel(ReferenceFileModel):
    """Pixel area map relative to the nominal pixel (AREA)."""

    reftypes = ("AREA",)
    schema_def = ModelSchema(arrays={"data": _sci(default=1.0)})


class PictureFrameModel(ReferenceFileModel):
    """NIRSpec picture-frame thermal pattern (PICTUREFRAME)."""

    reftypes = ("PICTUREFRAME",)
    schema_def = ModelSchema(arrays={"data": _sci()})


_PHOT_TIME = {
    "timecoeff_linear": TableSpec(
        "TIMECOEFF_LINEAR",
        (("filter", "U12"), ("pupil", "U12"), ("t0", "f4"), ("lossperyear", "f4")),
    ),
    "timecoeff_exponential": TableSpec(
        "TIMECOEFF_EXPONENTIAL",
        (
            ("filter", "U12"),
            ("pupil", "U12"),
            ("t0", "f4"),
            ("amplitude", "f4"),
            ("tau", "f4"),
            ("const", "f4"),
        ),
    ),
    "timecoeff_powerlaw": TableSpec(
        "TIMECOEFF_POWERLAW",
        (
            ("filter", "U12"),
            ("pupil", "U12"),
            ("t0", "f4"),
            ("year1value", "f4"),
            ("tsoft", "f4"),
            ("alpha", "f4"),
        ),
    ),
}


def _photom(columns):
    return ModelSchema(
        tables={"phot_table": TableSpec("PHOTOM", columns), **_PHOT_TIME},
        primary="phot_table",
        keyword_hdu={
            "meta.photometry.pixelarea_steradians": "PRIMARY",
            "meta.photometry.pixelarea_arcsecsq": "PRIMARY",
        },
    )


class NrcImgPhotomModel(ReferenceFileModel):
    """NIRCam imaging photometric calibration (PHOTOM)."""

    reftypes = ("PHOTOM",)
    schema_def = _photom(
        (("filter", "U12"), ("pupil", "U12"), ("photmjsr", "f4"), ("uncertainty", "f4"))
    )


class NisImgPhotomModel(ReferenceFileModel):
    """NIRISS imaging photometric calibration (PHOTOM)."""

    reftypes = ("PHOTOM",)
    schema_def = _photom(
        (("filter", "U12"), ("pupil", "U12"), ("photmjsr", "f4"), ("uncertainty", "f4"))
    )


class MirImgPhotomModel(ReferenceFileModel):
    """MIRI imaging photometric calibration (PHOTOM)."""

    reftypes = ("PHOTOM",)
    schema_def = _photom(
        (("filter", "U12"), ("subarray", "U15"), ("photmjsr", "f4"), ("uncertainty", "f4"))
    )


class FgsImgPhotomModel(ReferenceFileModel):
    """FGS imaging photometric calibration (PHOTOM)."""

    reftypes = ("PHOTOM",)
    schema_def = _photom((("photmjsr", "f4"), ("uncertainty", "f4")))


#: REFTYPE -> the model class that reads it (the first, when several share a REFTYPE).
REFTYPE_MODELS: dict[str, type[ReferenceFileModel]] = {}
for _cls in (
    MaskModel,
    SaturationModel,
    SuperBiasModel,
    LinearityModel,
    DarkModel,
    GainModel,
    ReadnoiseModel,
    IPCModel,
    IRS2Model,
    RSCDModel,
    ResetModel,
    PersistenceSatModel,
    TrapDensityModel,
    TrapParsModel,
    TrapsFilledModel,
    LastFrameModel,
    FlatModel,
    PixelAreaModel,
    PictureFrameModel,
    NrcImgPhotomModel,
):
    for _rt in _cls.reftypes:
        REFTYPE_MODELS.setdefault(_rt, _cls)
