"""The metadata of a raw exposure: primary keywords, the GROUP and INT_TIMES tables, and the
JWST file name."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ..datamodels.products import GROUP_COLUMNS, INT_TIMES_COLUMNS
from .instruments import DetectorSpec, ReadPattern, SubarraySpec

__all__ = ["ExposureId", "exposure_meta", "group_table", "int_times_table", "timing"]

_MJD0 = dt.datetime(1858, 11, 17, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ExposureId:
    """Program, observation, visit, visit group, sequence, activity and exposure numbers."""

    program: int = 1234
    observation: int = 1
    visit: int = 1
    visit_group: int = 1
    sequence: int = 1
    activity: int = 1
    exposure: int = 1

    def basename(self, detector: str) -> str:
        """jw<ppppp><ooo><vvv>_<gg><s><aa>_<eeeee>_<detector>."""
        return (
            f"jw{self.program:05d}{self.observation:03d}{self.visit:03d}_"
            f"{self.visit_group:02d}{self.sequence:01d}{self.activity:02d}_"
            f"{self.exposure:05d}_{detector.lower()}"
        )


def timing(
    det: DetectorSpec, rp: ReadPattern, ngroups: int, nints: int, tframe: float
) -> dict[str, float]:
    """Exposure-time keywords, per the JWST keyword dictionary.

    TGROUP = (NFRAMES + GROUPGAP) TFRAME; EFFINTTM is the time from the first to the last
    group (near-IR: (NGROUPS-1) TGROUP; MIRI, whose first frame follows the reset by one
    frame time: NGROUPS TGROUP); one reset frame between integrations (none for MIRI).
    """
    tgroup = (rp.nframes + rp.groupgap) * tframe
    eff = (ngroups - (0 if det.is_miri else 1)) * tgroup
    frames_per_int = ngroups * (rp.nframes + rp.groupgap) - rp.groupgap
    nresets = 0 if det.is_miri else 1
    duration = (nints * frames_per_int + (nints - 1) * nresets + nresets) * tframe
    return {
        "tgroup": round(tgroup, 5),
        "effinttm": round(eff, 5),
        "effexptm": round(eff * nints, 5),
        "duration": round(duration, 5),
        "frames_per_int": frames_per_int,
        "nresets": nresets,
    }


def _mjd(t: dt.datetime) -> float:
    return (t - _MJD0).total_seconds() / 86400.0


def exposure_meta(
    model,
    *,
    det: DetectorSpec,
    sub: SubarraySpec,
    rp: ReadPattern,
    ngroups: int,
    nints: int,
    tframe: float,
    tsample: float,
    exp_type: str,
    tso: bool,
    zeroframe: bool,
    ident: ExposureId,
    start: dt.datetime,
    filt: str | None,
    pupil: str | None,
    pointing: tuple[float, float, float],
    dither: tuple[float, float],
    wcs_keywords: dict | None = None,
) -> dict:
    """Fill ``model.meta`` with the keywords of a real ``uncal`` file; returns the timing.

    ``wcs_keywords`` (metadata path below ``meta`` -> value) are the pointing keywords of the
    exposure's true geometry; without them the pointing keywords are nominal (V2_REF = 0)."""
    tm = timing(det, rp, ngroups, nints, tframe)
    m = model.meta
    ra, dec, pa = pointing
    m.telescope = "JWST"
    m.origin = "STSCI"
    m.time_sys = "UTC"
    m.data_processing_software_version = "jwcal-simulate"
    m.program.title = "jwcal simulated exposure"
    m.program.pi_name = "Simulator, J."
    m.program.category = "CAL"
    m.observation.date = start.strftime("%Y-%m-%d")
    m.observation.time = start.strftime("%H:%M:%S.%f")[:-3]
    m.observation.date_beg = start.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    end = start + dt.timedelta(seconds=tm["duration"])
    m.observation.date_end = end.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    m.observation.program_number = f"{ident.program:05d}"
    m.observation.observation_number = f"{ident.observation:03d}"
    m.observation.visit_number = f"{ident.visit:03d}"
    m.observation.visit_group = f"{ident.visit_group:02d}"
    m.observation.sequence_id = f"{ident.sequence:01d}"
    m.observation.activity_id = f"{ident.activity:02d}"
    m.observation.exposure_number = f"{ident.exposure:05d}"
    m.observation.visit_id = f"{ident.program:05d}{ident.observation:03d}{ident.visit:03d}"
    m.observation.obs_id = (
        f"V{ident.program:05d}{ident.observation:03d}{ident.visit:03d}"
        f"P{ident.visit_group:08d}{ident.sequence:01d}{ident.activity:02d}"
        f"{ident.exposure:05d}"
    )
    m.visit.tsovisit = bool(tso)
    m.visit.type = "PRIME_TARGETED_FIXED"
    m.visit.engineering_quality = "OK"
    m.visit.crowded_field = False
    m.target.catalog_name = "SIMULATED-FIELD"
    m.target.proposer_name = "SIM FIELD"
    m.target.ra = ra
    m.target.dec = dec
    m.target.type = "FIXED"
    m.target.source_type_apt = "EXTENDED"
    m.instrument.name = det.instrument
    m.instrument.detector = det.name
    if det.channel:
        m.instrument.channel = det.channel
    if det.module:
        m.instrument.module = det.module
    if filt:
        m.instrument.filter = filt
    if pupil:
        m.instrument.pupil = pupil
    m.exposure.type = exp_type
    m.exposure.readpatt = rp.name
    m.exposure.nints = nints
    m.exposure.ngroups = ngroups
    m.exposure.nframes = rp.nframes
    m.exposure.groupgap = rp.groupgap
    m.exposure.integration_start = 1
    m.exposure.integration_end = nints
    m.exposure.drop_frames1 = 0
    m.exposure.drop_frames3 = 0
    m.exposure.frame_divisor = rp.nframes
    m.exposure.nsamples = 1
    m.exposure.sample_time = tsample
    m.exposure.frame_time = tframe
    m.exposure.group_time = tm["tgroup"]
    m.exposure.integration_time = tm["effinttm"]
    m.exposure.exposure_time = tm["effexptm"]
    m.exposure.effective_exposure_time = tm["effexptm"]
    m.exposure.measurement_time = tm["effexptm"]
    m.exposure.duration = tm["duration"]
    m.exposure.elapsed_exposure_time = tm["duration"]
    m.exposure.nresets_at_start = 1
    m.exposure.nresets_between_ints = tm["nresets"]
    m.exposure.zero_frame = bool(zeroframe)
    m.exposure.data_problem = False
    m.exposure.noutputs = sub.noutputs
    m.exposure.count = 1
    m.exposure.primary_cosmic_rays = 0.0
    if det.sca_num:
        m.exposure.sca_num = det.sca_num
    if det.is_miri:
        m.exposure.miri_fsw_ngroups = ngroups
        m.exposure.miri_fsw_nframes = 1
        m.instrument.miri_fpe_side = "A"
    if rp.irs2:
        m.exposure.nrs_normal = 16
        m.exposure.nrs_reference = 4
    start_mjd = _mjd(start)
    end_mjd = start_mjd + tm["duration"] / 86400.0
    m.exposure.start_time = start_mjd
    m.exposure.end_time = end_mjd
    m.exposure.mid_time = 0.5 * (start_mjd + end_mjd)
    m.exposure.start_time_mjd = start_mjd
    m.exposure.end_time_mjd = end_mjd
    m.exposure.mid_time_mjd = 0.5 * (start_mjd + end_mjd)
    # TDB - UTC is 69.184 s at this epoch; the barycentric light-time is left out.
    tdb = 69.184 / 86400.0
    m.exposure.start_time_tdb = start_mjd + tdb
    m.exposure.mid_time_tdb = 0.5 * (start_mjd + end_mjd) + tdb
    m.exposure.end_time_tdb = end_mjd + tdb
    m.subarray.name = sub.name
    m.subarray.xstart = sub.xstart
    m.subarray.ystart = sub.ystart
    m.subarray.xsize = sub.xsize
    m.subarray.ysize = sub.ysize
    m.subarray.fastaxis = det.fastaxis
    m.subarray.slowaxis = det.slowaxis
    m.dither.x_offset = float(dither[0])
    m.dither.y_offset = float(dither[1])
    m.dither.position_number = ident.exposure
    m.aperture.name = f"{det.name}_{sub.name}" if det.name != "MIRIMAGE" else f"MIRIM_{sub.name}"
    m.pointing.ra_v1 = ra
    m.pointing.dec_v1 = dec
    m.pointing.pa_v3 = pa
    m.wcsinfo.ra_ref = ra
    m.wcsinfo.dec_ref = dec
    m.wcsinfo.roll_ref = pa
    m.wcsinfo.v2_ref = 0.0
    m.wcsinfo.v3_ref = 0.0
    m.wcsinfo.v3yangle = 0.0
    m.wcsinfo.vparity = -1
    m.velocity_aberration.scale_factor = 1.0
    m.coordinates.reference_frame = "ICRS"
    for path, value in (wcs_keywords or {}).items():
        m.set(path, value)
    return {**tm, "start_mjd": start_mjd, "end_mjd": end_mjd}


def group_table(
    nints: int, ngroups: int, ny: int, nx: int, start_mjd: float, tframe: float, rp, tint: float
):
    """One row per group read: end time (UTC) and geometry, as the raw files carry."""
    tab = np.zeros(nints * ngroups, dtype=list(GROUP_COLUMNS))
    tgroup = (rp.nframes + rp.groupgap) * tframe
    i = 0
    for n in range(nints):
        for g in range(ngroups):
            t_end = start_mjd + (n * tint + (g * tgroup + rp.nframes * tframe)) / 86400.0
            when = _MJD0 + dt.timedelta(days=t_end)
            day0 = dt.datetime(when.year, 1, 1, tzinfo=dt.UTC)
            since = when - day0
            ms = since.seconds * 1000 + since.microseconds // 1000
            tab[i] = (
                n + 1,
                g + 1,
                since.days + 1,
                ms,
                since.microseconds % 1000,
                when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                nx,
                ny,
                0,
                0,
                "Normal Completion",
                t_end,
                t_end,
            )
            i += 1
    return tab


def int_times_table(nints: int, start_mjd: float, tint: float, effint: float):
    """Start, middle and end of each integration (UTC MJD, and TDB standing for BJD)."""
    tab = np.zeros(nints, dtype=list(INT_TIMES_COLUMNS))
    tdb = 69.184 / 86400.0
    for n in range(nints):
        s = start_mjd + n * tint / 86400.0
        e = s + effint / 86400.0
        mid = 0.5 * (s + e)
        tab[n] = (n + 1, s, mid, e, s + tdb, mid + tdb, e + tdb)
    return tab
