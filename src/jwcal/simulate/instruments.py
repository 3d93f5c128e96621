"""Detectors, subarrays and read patterns of the JWST instruments, as the simulator needs them.

Numbers are representative of the flight detectors (JDox, the instrument handbooks and the
JWST keyword dictionary): gains, correlated-double-sample read noise, dark current, bias
levels and full wells are typical values, not those of one particular detector.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError

__all__ = [
    "DetectorSpec",
    "SubarraySpec",
    "ReadPattern",
    "DETECTORS",
    "READ_PATTERNS",
    "detector_spec",
    "subarray_spec",
    "read_pattern",
    "frame_time",
    "default_exp_type",
    "default_readpatt",
    "GUIDER_MODES",
]


@dataclass(frozen=True)
class DetectorSpec:
    """One detector: geometry, orientation and typical electrical properties."""

    instrument: str  #: INSTRUME value
    name: str  #: DETECTOR value
    fastaxis: int  #: FASTAXIS (readout direction in the DMS frame)
    slowaxis: int  #: SLOWAXIS
    ny: int  #: full-frame rows (DMS)
    nx: int  #: full-frame columns (DMS)
    pixel_um: float  #: pixel pitch (cosmic-ray cross-section)
    gain: float  #: e-/DN
    rn_cds: float  #: correlated-double-sample read noise, DN
    dark: float  #: dark current, DN/s
    bias: float  #: mean raw bias level, DN
    well: float  #: hard saturation above bias, measured DN
    ipc_alpha: float  #: nearest-neighbour inter-pixel capacitance coupling
    channel: str | None = None
    module: str | None = None
    sca_num: int | None = None

    @property
    def is_miri(self) -> bool:
        return self.instrument == "MIRI"

    @property
    def family(self) -> str:
        return "miri" if self.is_miri else "nir"


def _nrc(name, fast, slow, sca):
    long = name.endswith("LONG")
    return DetectorSpec(
        "NIRCAM",
        name,
        fast,
        slow,
        2048,
        2048,
        18.0,
        1.82 if long else 2.05,
        9.0 if long else 7.5,
        0.015 if long else 0.003,
        12500.0,
        52000.0,
        0.0055,
        channel="LONG" if long else "SHORT",
        module=name[3],
        sca_num=sca,
    )


_DETS = [
    _nrc("NRCA1", -1, 2, 481),
    _nrc("NRCA2", 1, -2, 482),
    _nrc("NRCA3", -1, 2, 483),
    _nrc("NRCA4", 1, -2, 484),
    _nrc("NRCALONG", -1, 2, 485),
    _nrc("NRCB1", 1, -2, 486),
    _nrc("NRCB2", -1, 2, 487),
    _nrc("NRCB3", 1, -2, 488),
    _nrc("NRCB4", -1, 2, 489),
    _nrc("NRCBLONG", 1, -2, 490),
    DetectorSpec(
        "NIRISS",
        "NIS",
        -2,
        -1,
        2048,
        2048,
        18.0,
        1.61,
        11.0,
        0.005,
        13000.0,
        55000.0,
        0.006,
        sca_num=496,
    ),
    DetectorSpec(
        "NIRSPEC",
        "NRS1",
        2,
        1,
        2048,
        2048,
        18.0,
        1.0,
        12.0,
        0.006,
        13500.0,
        48000.0,
        0.005,
        sca_num=491,
    ),
    DetectorSpec(
        "NIRSPEC",
        "NRS2",
        -2,
        -1,
        2048,
        2048,
        18.0,
        1.0,
        12.0,
        0.006,
        13500.0,
        48000.0,
        0.005,
        sca_num=492,
    ),
    DetectorSpec(
        "FGS",
        "GUIDER1",
        -2,
        1,
        2048,
        2048,
        18.0,
        1.9,
        9.5,
        0.008,
        12000.0,
        55000.0,
        0.005,
        sca_num=497,
    ),
    DetectorSpec(
        "FGS",
        "GUIDER2",
        2,
        -1,
        2048,
        2048,
        18.0,
        1.9,
        9.5,
        0.008,
        12000.0,
        55000.0,
        0.005,
        sca_num=498,
    ),
    DetectorSpec(
        "MIRI",
        "MIRIMAGE",
        1,
        2,
        1024,
        1032,
        25.0,
        5.5,
        14.0,
        0.04,
        11000.0,
        48000.0,
        0.0025,
        sca_num=493,
    ),
]

DETECTORS: dict[str, DetectorSpec] = {d.name: d for d in _DETS}

_INSTRUMENT_DEFAULT_DETECTOR = {
    "NIRCAM": "NRCA1",
    "NIRISS": "NIS",
    "NIRSPEC": "NRS1",
    "FGS": "GUIDER1",
    "MIRI": "MIRIMAGE",
}


@dataclass(frozen=True)
class SubarraySpec:
    """A readout region in DMS pixel coordinates (1-based, like SUBSTRT1/2)."""

    name: str
    xstart: int
    ystart: int
    xsize: int
    ysize: int
    noutputs: int = 1

    @property
    def is_full(self) -> bool:
        return self.name == "FULL"


# Imaging subarrays sit at a detector corner (so they hold two edges of reference pixels, as
# the flight ones do); their exact corner differs between real detectors.
_NRC_SUBS = {
    "SUB64P": (1, 1985, 64, 64, 1),
    "SUB160P": (1, 1889, 160, 160, 1),
    "SUB400P": (1, 1649, 400, 400, 1),
    "SUB160": (1, 1889, 160, 160, 1),
    "SUB320": (1, 1729, 320, 320, 1),
    "SUB640": (1, 1409, 640, 640, 1),
    "SUBGRISM64": (1, 1, 2048, 64, 4),
    "SUBGRISM128": (1, 1, 2048, 128, 4),
    "SUBGRISM256": (1, 1, 2048, 256, 4),
    "SUB32TATS": (1, 1, 32, 32, 1),
}
_NIS_SUBS = {
    "SUB256": (1793, 1793, 256, 256, 1),
    "SUB128": (1921, 1921, 128, 128, 1),
    "SUB80": (1969, 1969, 80, 80, 1),
    "SUB64": (1985, 1985, 64, 64, 1),
    "SUBSTRIP256": (1, 1793, 2048, 256, 1),
    "SUBSTRIP96": (1, 1803, 2048, 96, 1),
}
_NRS_SUBS = {
    "SUB2048": (1, 946, 2048, 32, 1),
    "SUB1024A": (1, 1, 1024, 32, 1),
    "SUB512": (1, 946, 512, 32, 1),
    "SUB32": (1, 946, 32, 32, 1),
    "ALLSLITS": (1, 897, 2048, 256, 1),
}
_FGS_SUBS = {
    "SUB128CNTR": (961, 961, 128, 128, 1),
    "SUB32CNTR": (1009, 1009, 32, 32, 1),
    "SUB8CNTR": (1021, 1021, 8, 8, 1),
    "SUB128LL": (1, 1, 128, 128, 1),
    "SUB128DIAG": (1, 1921, 128, 128, 1),
}
_MIRI_SUBS = {
    "BRIGHTSKY": (457, 51, 512, 512, 4),
    "SUB256": (413, 51, 256, 256, 4),
    "SUB128": (1, 889, 136, 128, 4),
    "SUB64": (1, 779, 72, 64, 4),
    "MASK1065": (1, 19, 288, 224, 4),
    "MASK1140": (1, 245, 288, 224, 4),
    "MASK1550": (1, 467, 288, 224, 4),
    "MASKLYOT": (1, 717, 320, 304, 4),
    "SLITLESSPRISM": (1, 529, 72, 416, 4),
}
_SUBARRAYS = {
    "NIRCAM": _NRC_SUBS,
    "NIRISS": _NIS_SUBS,
    "NIRSPEC": _NRS_SUBS,
    "FGS": _FGS_SUBS,
    "MIRI": _MIRI_SUBS,
}
# Short aliases people type.
_SUB_ALIASES = {("FGS", "SUB128"): "SUB128CNTR", ("FGS", "SUB32"): "SUB32CNTR"}

#: MIRI frame times in FAST mode (s), from the MIRI handbook: the MIRI readout skips rows and
#: columns in a way no simple geometric formula reproduces for every subarray.
_MIRI_TFRAME = {
    "FULL": 2.77504,
    "BRIGHTSKY": 0.86528,
    "SUB256": 0.29952,
    "SUB128": 0.11904,
    "SUB64": 0.08544,
    "MASK1065": 0.23904,
    "MASK1140": 0.23904,
    "MASK1550": 0.23904,
    "MASKLYOT": 0.32800,
    "SLITLESSPRISM": 0.15904,
}
_MIRI_SLOW_FACTOR = 23.88 / 2.77504


@dataclass(frozen=True)
class ReadPattern:
    """NFRAMES and GROUPGAP of a read pattern, and the instruments that use it."""

    name: str
    nframes: int
    groupgap: int
    instruments: tuple[str, ...]
    irs2: bool = False


_RP = [
    ("RAPID", 1, 0, ("NIRCAM",)),
    ("BRIGHT1", 1, 1, ("NIRCAM",)),
    ("BRIGHT2", 2, 0, ("NIRCAM",)),
    ("SHALLOW2", 2, 3, ("NIRCAM",)),
    ("SHALLOW4", 4, 1, ("NIRCAM",)),
    ("MEDIUM2", 2, 8, ("NIRCAM",)),
    ("MEDIUM8", 8, 2, ("NIRCAM",)),
    ("DEEP2", 2, 18, ("NIRCAM",)),
    ("DEEP8", 8, 12, ("NIRCAM",)),
    ("NISRAPID", 1, 0, ("NIRISS",)),
    ("NIS", 4, 0, ("NIRISS",)),
    ("NRSRAPID", 1, 0, ("NIRSPEC",)),
    ("NRS", 4, 0, ("NIRSPEC",)),
    ("NRSRAPIDD1", 1, 1, ("NIRSPEC",)),
    ("NRSRAPIDD2", 1, 2, ("NIRSPEC",)),
    ("NRSRAPIDD6", 1, 6, ("NIRSPEC",)),
    ("FGSRAPID", 1, 0, ("FGS",)),
    ("FGS", 4, 0, ("FGS",)),
    ("FAST", 1, 0, ("MIRI",)),
    ("FASTR1", 1, 0, ("MIRI",)),
    ("SLOW", 1, 0, ("MIRI",)),
]
READ_PATTERNS: dict[str, ReadPattern] = {n: ReadPattern(n, f, g, i) for n, f, g, i in _RP}
READ_PATTERNS["NRSIRS2RAPID"] = ReadPattern("NRSIRS2RAPID", 1, 0, ("NIRSPEC",), irs2=True)
READ_PATTERNS["NRSIRS2"] = ReadPattern("NRSIRS2", 5, 0, ("NIRSPEC",), irs2=True)

#: FGS guide modes: EXP_TYPE, default subarray size, groups per integration, integrations.
GUIDER_MODES = {
    "ID-IMAGE": ("FGS_ID-IMAGE", 2048, 2, 2),
    "ID-STACK": ("FGS_ID-STACK", 2048, 2, 2),
    "ACQ1": ("FGS_ACQ1", 128, 2, 6),
    "ACQ2": ("FGS_ACQ2", 32, 2, 5),
    "TRACK": ("FGS_TRACK", 32, 2, 50),
    "FINEGUIDE": ("FGS_FINEGUIDE", 8, 8, 50),
}


def detector_spec(instrument: str | None, detector: str | None) -> DetectorSpec:
    """The detector, from an instrument name and/or a detector name (case-insensitive)."""
    inst = instrument.strip().upper() if instrument else None
    if detector is None:
        if inst not in _INSTRUMENT_DEFAULT_DETECTOR:
            raise ConfigError(
                f"unknown instrument {instrument!r}; choose one of "
                f"{', '.join(sorted(_INSTRUMENT_DEFAULT_DETECTOR)).lower()}"
            )
        return DETECTORS[_INSTRUMENT_DEFAULT_DETECTOR[inst]]
    det = detector.strip().upper()
    if det == "NRCA5":
        det = "NRCALONG"
    if det == "NRCB5":
        det = "NRCBLONG"
    if det == "MIRI":
        det = "MIRIMAGE"
    spec = DETECTORS.get(det)
    if spec is None:
        raise ConfigError(
            f"unknown detector {detector!r}; choose one of {', '.join(DETECTORS).lower()}"
        )
    if inst is not None and inst != spec.instrument:
        raise ConfigError(f"detector {spec.name} belongs to {spec.instrument}, not {inst}")
    return spec


def subarray_spec(det: DetectorSpec, name: str | None, irs2: bool = False) -> SubarraySpec:
    """The subarray ``name`` (FULL when None) of detector ``det``."""
    sub = (name or "FULL").strip().upper()
    if sub in ("FULL", "FULLP"):
        return SubarraySpec("FULL", 1, 1, det.nx, det.ny, 4)
    if irs2:
        raise ConfigError("the IRS2 readout is full frame only")
    sub = _SUB_ALIASES.get((det.instrument, sub), sub)
    table = _SUBARRAYS[det.instrument]
    if sub not in table:
        raise ConfigError(
            f"unknown {det.instrument} subarray {name!r}; choose one of FULL, {', '.join(table)}"
        )
    x0, y0, nx, ny, nout = table[sub]
    return SubarraySpec(sub, x0, y0, nx, ny, nout)


def read_pattern(det: DetectorSpec, name: str | None) -> ReadPattern:
    """The read pattern ``name`` (the instrument's fastest when None)."""
    rp_name = (name or default_readpatt(det)).strip().upper()
    rp = READ_PATTERNS.get(rp_name)
    if rp is None or det.instrument not in rp.instruments:
        ok = [n for n, r in READ_PATTERNS.items() if det.instrument in r.instruments]
        raise ConfigError(
            f"read pattern {name!r} is not one of {det.instrument}'s: {', '.join(ok)}"
        )
    return rp


def default_readpatt(det: DetectorSpec) -> str:
    return {
        "NIRCAM": "BRIGHT2",
        "NIRISS": "NISRAPID",
        "NIRSPEC": "NRSRAPID",
        "FGS": "FGSRAPID",
        "MIRI": "FAST",
    }[det.instrument]


def default_exp_type(det: DetectorSpec, tso: bool = False) -> str:
    if det.instrument == "NIRCAM":
        return "NRC_TSIMAGE" if tso else "NRC_IMAGE"
    if det.instrument == "NIRISS":
        return "NIS_IMAGE"
    if det.instrument == "NIRSPEC":
        return "NRS_BRIGHTOBJ" if tso else "NRS_FIXEDSLIT"
    if det.instrument == "FGS":
        return "FGS_IMAGE"
    return "MIR_IMAGE"


def frame_time(det: DetectorSpec, sub: SubarraySpec, rp: ReadPattern) -> tuple[float, float]:
    """(TFRAME, TSAMPLE) in seconds and microseconds.

    Near-IR detectors read ``namps`` outputs in parallel along the fast axis, 10 us per
    pixel, with 12 pixel times of overhead per line and one extra line per frame (two for a
    single-output subarray): ``(nfast / namps + 12) * (nslow + 1 [+1]) * 10 us``.  This gives
    10.73676 s for a full frame, 1.06904 s for SUB320 and 0.07544 s for NIRISS SUB80.  The
    IRS2 readout adds 4 reference samples after every 16 pixels and a reference output, for
    712 pixel times per line (14.58889 s).  MIRI frame times are tabulated (see above).
    """
    if det.is_miri:
        tf = _MIRI_TFRAME.get(sub.name)
        if tf is None:
            raise ConfigError(f"no MIRI frame time for subarray {sub.name}")
        if rp.name == "SLOW":
            tf *= _MIRI_SLOW_FACTOR
        return round(tf, 5), 10.0
    if rp.irs2:
        return round(712 * 2049 * 10e-6, 5), 10.0
    if abs(det.fastaxis) == 1:
        nfast, nslow = sub.xsize, sub.ysize
    else:
        nfast, nslow = sub.ysize, sub.xsize
    namps = sub.noutputs if nfast == 2048 else 1
    extra = 1 if namps == 1 and nfast < 2048 else 0
    tf = (nfast // namps + 12) * (nslow + 1 + extra) * 10e-6
    return round(tf, 5), 10.0
