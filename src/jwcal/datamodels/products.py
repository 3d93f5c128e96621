"""Science products: raw ramps (``uncal``), corrected ramps, count-rate images and cubes."""

from __future__ import annotations

from .model import DataModel
from .schema import ArraySpec, ModelSchema, TableSpec

__all__ = [
    "Level1bModel",
    "RampModel",
    "ImageModel",
    "CubeModel",
    "RampFitOutputModel",
    "GuiderRawModel",
    "GuiderCalModel",
    "SegmentationMapModel",
    "GROUP_COLUMNS",
    "INT_TIMES_COLUMNS",
]

#: The GROUP table of raw exposures: one row per group read.
GROUP_COLUMNS = (
    ("integration_number", "i4"),
    ("group_number", "i2"),
    ("end_day", "i2"),
    ("end_milliseconds", "i4"),
    ("end_submilliseconds", "i2"),
    ("group_end_time", "U26"),
    ("number_of_columns", "i2"),
    ("number_of_rows", "i2"),
    ("number_of_gaps", "i2"),
    ("completion_code_number", "i2"),
    ("completion_code_text", "U36"),
    ("bary_end_time", "f8"),
    ("helio_end_time", "f8"),
)

#: The INT_TIMES table: start, middle and end of each integration (UTC MJD and TDB BJD).
INT_TIMES_COLUMNS = (
    ("integration_number", "i4"),
    ("int_start_MJD_UTC", "f8"),
    ("int_mid_MJD_UTC", "f8"),
    ("int_end_MJD_UTC", "f8"),
    ("int_start_BJD_TDB", "f8"),
    ("int_mid_BJD_TDB", "f8"),
    ("int_end_BJD_TDB", "f8"),
)

_GROUP = TableSpec("GROUP", GROUP_COLUMNS)
_INT_TIMES = TableSpec("INT_TIMES", INT_TIMES_COLUMNS)

_VARIANCES = {
    "var_poisson": ArraySpec("VAR_POISSON", "float32", (2, 3), 0.0),
    "var_rnoise": ArraySpec("VAR_RNOISE", "float32", (2, 3), 0.0),
    "var_flat": ArraySpec("VAR_FLAT", "float32", (2, 3), 0.0),
}


class Level1bModel(DataModel):
    """A raw exposure (``_uncal``): uint16 ramps of shape (nints, ngroups, ny, nx)."""

    schema_def = ModelSchema(
        arrays={
            "data": ArraySpec("SCI", "uint16", (4,), 0),
            "zeroframe": ArraySpec("ZEROFRAME", "uint16", (3,), None, like=None),
            "refout": ArraySpec("REFOUT", "uint16", (4,), None, like=None),
        },
        tables={"group": _GROUP, "int_times": _INT_TIMES},
    )


class RampModel(DataModel):
    """Ramps being corrected: float32 SCI with per-pixel and per-group DQ."""

    schema_def = ModelSchema(
        arrays={
            "data": ArraySpec("SCI", "float32", (4,), 0.0),
            "pixeldq": ArraySpec("PIXELDQ", "uint32", (2,), 0, like="image"),
            "groupdq": ArraySpec("GROUPDQ", "uint8", (4,), 0),
            "zeroframe": ArraySpec("ZEROFRAME", "float32", (3,), None, like=None),
            "refout": ArraySpec("REFOUT", "float32", (4,), None, like=None),
            "average_dark_current": ArraySpec("AVDRKCUR", "float32", (2,), None, like=None),
        },
        tables={"group": _GROUP, "int_times": _INT_TIMES},
    )


class ImageModel(DataModel):
    """A 2-D image: count rates (``_rate``), calibrated (``_cal``) or resampled (``_i2d``)."""

    schema_def = ModelSchema(
        arrays={
            "data": ArraySpec("SCI", "float32", (2,), 0.0),
            "dq": ArraySpec("DQ", "uint32", (2,), 0),
            "err": ArraySpec("ERR", "float32", (2,), 0.0),
            **_VARIANCES,
            "zeroframe": ArraySpec("ZEROFRAME", "float32", (2,), None, like=None),
            "area": ArraySpec("AREA", "float32", (2,), None, like=None),
            "wht": ArraySpec("WHT", "float32", (2,), None, like=None),
            "con": ArraySpec("CON", "int32", (2, 3), None, like=None),
        },
    )


class CubeModel(DataModel):
    """A stack of images, one per integration (``_rateints``, ``_calints``)."""

    schema_def = ModelSchema(
        arrays={
            "data": ArraySpec("SCI", "float32", (3,), 0.0),
            "dq": ArraySpec("DQ", "uint32", (3,), 0),
            "err": ArraySpec("ERR", "float32", (3,), 0.0),
            **_VARIANCES,
            "zeroframe": ArraySpec("ZEROFRAME", "float32", (3,), None, like=None),
            "area": ArraySpec("AREA", "float32", (2,), None, like=None),
        },
        tables={"int_times": _INT_TIMES},
    )


class RampFitOutputModel(DataModel):
    """Per-segment ramp-fit results (``_fitopt``): shape (nints, nsegments, ny, nx)."""

    schema_def = ModelSchema(
        arrays={
            "slope": ArraySpec("SLOPE", "float32", (4,), 0.0),
            "sigslope": ArraySpec("SIGSLOPE", "float32", (4,), 0.0),
            "var_poisson": ArraySpec("VAR_POISSON", "float32", (4,), 0.0),
            "var_rnoise": ArraySpec("VAR_RNOISE", "float32", (4,), 0.0),
            "yint": ArraySpec("YINT", "float32", (4,), 0.0),
            "sigyint": ArraySpec("SIGYINT", "float32", (4,), 0.0),
            "pedestal": ArraySpec("PEDESTAL", "float32", (3,), 0.0, like=None),
            "weights": ArraySpec("WEIGHTS", "float32", (4,), 0.0),
            "crmag": ArraySpec("CRMAG", "float32", (4,), 0.0, like=None),
        },
        primary="slope",
    )


_GUIDER_TABLES = {
    "planned_star_table": TableSpec(
        "Planned Reference Stars",
        (
            ("guide_star_order", "i4"),
            ("reference_order", "i4"),
            ("reference_star_id", "U12"),
            ("ra", "f8"),
            ("dec", "f8"),
            ("id_x", "f8"),
            ("id_y", "f8"),
            ("fgs_mag", "f8"),
            ("fgs_mag_uncert", "f8"),
            ("count_rate", "f8"),
            ("count_rate_uncert", "f8"),
        ),
    ),
    "flight_star_table": TableSpec(
        "Flight Reference Stars",
        (("reference_star_id", "U2"), ("id_x", "f8"), ("id_y", "f8"), ("count_rate", "f8")),
    ),
}


class GuiderRawModel(DataModel):
    """Raw FGS guide-mode data (ID, ACQ1, ACQ2, TRACK, FineGuide)."""

    schema_def = ModelSchema(
        arrays={
            "data": ArraySpec("SCI", "float32", (4,), 0.0),
            "dq": ArraySpec("DQ", "uint32", (2,), 0, like="image"),
        },
        tables=dict(_GUIDER_TABLES),
    )


class GuiderCalModel(DataModel):
    """Calibrated FGS guide-mode count rates: one image per integration."""

    schema_def = ModelSchema(
        arrays={
            "data": ArraySpec("SCI", "float32", (3,), 0.0),
            "err": ArraySpec("ERR", "float32", (3,), 0.0),
            "dq": ArraySpec("DQ", "uint32", (2,), 0, like="image"),
        },
        tables=dict(_GUIDER_TABLES),
    )


class SegmentationMapModel(DataModel):
    """A segmentation map (``_segm``): source labels per pixel."""

    schema_def = ModelSchema(arrays={"data": ArraySpec("SCI", "uint32", (2,), 0)})
