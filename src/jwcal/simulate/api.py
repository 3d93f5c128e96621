"""``simulate_exposure``: a raw exposure, its reference files and its truth, in one call."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import datamodels as dm
from ..dqflags import pixel as DQ
from ..errors import ConfigError
from . import truth
from .catalogrefs import CatalogRefs
from .detector import (
    ipc_forward_kernel,
    make_detector_maps,
    readout_geometry,
)
from .exposure_wcs import dither_pixels_to_arcsec
from .geometry import aperture_for, sees_the_sky
from .headers import ExposureId, _mjd, exposure_meta, group_table, int_times_table
from .instruments import (
    GUIDER_MODES,
    ReadPattern,
    SubarraySpec,
    default_exp_type,
    detector_spec,
    frame_time,
    read_pattern,
    subarray_spec,
)
from .ramp import RampSetup, simulate_integration
from .readout import IRS2Layout
from .reffiles import RefWriter, linearity_coeffs
from .scene import make_scene, render_scene
from .sky import render_sky, write_truth_catalog, write_truth_sources
from .stage2refs import Stage2Refs

__all__ = ["simulate_exposure", "SimResult", "DEFAULT_SWITCHES"]

#: What goes into a ramp; each can be turned off by passing it as False.
DEFAULT_SWITCHES = {
    "scene": True,  #: sky, stars and galaxies (or flat illumination with flat_scene)
    "flat_scene": False,  #: uniform illumination at the sky level instead of sources
    "bias": True,  #: superbias and per-integration kTC offsets
    "read_noise": True,
    "poisson": True,
    "dark": True,
    "refpix_drifts": True,  #: amplifier offsets, odd/even columns, 1/f row drifts
    "flicker_rms": 0.5,  #: 1/f row-drift rms per frame (DN)
    "amp_drift": 1.5,  #: per-frame random-walk step of the amplifier offsets (DN)
    "ipc": True,
    "nonlinearity": True,
    "saturation": True,  #: the full well clips the signal
    "bad_pixels": True,  #: dead, hot, warm and low-QE pixels
    "cosmic_rays": True,
    "cr_rate": 5.0,  #: events / cm^2 / s
    "large_events": True,  #: snowballs (near-IR) and showers (MIRI)
    "miri_effects": True,  #: reset anomaly, first/last frame, RSCD
    "sky": None,  #: background in DN/s (instrument default when None)
    "star_density": 1.5e-4,
    "galaxy_density": 3e-4,
    "bright_limit": None,
}

_FILTERS = {
    "NIRCAM": ("F150W", "CLEAR"),
    "NIRCAM_LONG": ("F444W", "CLEAR"),
    "NIRISS": ("CLEAR", "F150W"),
    "NIRSPEC": ("CLEAR", None),
    "FGS": (None, None),
    "MIRI": ("F770W", None),
}


@dataclass
class SimResult:
    """Where a simulation wrote its products."""

    uncal: Path
    refs: dict[str, Path]
    truth_rate: Path
    truth_jumps: Path
    truth_saturation: Path
    truth_masks: Path
    outdir: Path
    instrument: str
    detector: str
    subarray: str
    readpatt: str
    exp_type: str
    ngroups: int
    nints: int
    n_events: int = 0
    seconds: dict = field(default_factory=dict)
    truth_sources: Path | None = None  #: sources on this exposure (sky truth, pixel position)
    truth_catalog: Path | None = None  #: the whole sky catalogue
    wcs: object = None  #: the exposure's true pixel <-> sky mapping (ExposureWcs)

    def refs_by_type(self) -> dict[str, str]:
        """reftype -> path as strings (for jwst ``override_<reftype>`` arguments)."""
        return {k: str(v) for k, v in self.refs.items()}


def _ipc_region(sub: SubarraySpec, det) -> tuple[slice, slice]:
    """The science (non-reference) pixels of the subarray, as jwst's IPC step finds them."""
    x0, y0 = sub.xstart - 1, sub.ystart - 1
    if det.is_miri:
        left, right = max(0, 4 - x0), max(0, x0 + sub.xsize - 1028)
        return slice(0, sub.ysize), slice(left, sub.xsize - right)
    b, t = max(0, 4 - y0), max(0, y0 + sub.ysize - 2044)
    left, right = max(0, 4 - x0), max(0, x0 + sub.xsize - 2044)
    return slice(b, sub.ysize - t), slice(left, sub.xsize - right)


def simulate_exposure(
    outdir,
    instrument: str | None = None,
    detector: str | None = None,
    subarray: str | None = None,
    readpatt: str | None = None,
    ngroups: int | None = None,
    nints: int | None = None,
    seed: int = 0,
    *,
    exp_type: str | None = None,
    tso: bool = False,
    zeroframe: bool = False,
    guide_mode: str | None = None,
    detector_seed: int | None = None,
    scene_seed: int | None = None,
    dither: tuple[float, float] = (0.0, 0.0),
    dither_arcsec: tuple[float, float] | None = None,
    exposure_number: int = 1,
    filter: str | None = None,  # noqa: A002 - the JWST keyword's name
    pupil: str | None = None,
    pointing: tuple[float, float, float] = (53.16, -27.79, 0.0),
    start: dt.datetime | None = None,
    dark_mode: str = "auto",
    truth_prefix: str = "",
    catalog_margin: int = 64,
    use_pysiaf: bool | None = None,
    **switches,
) -> SimResult:
    """Simulate one raw exposure with its reference files and truth.

    Parameters
    ----------
    outdir : path
        Output directory; reference files go to ``outdir/refs``.
    instrument, detector : str
        E.g. ``"nircam", "nrca1"``; either may be omitted when the other implies it.
    subarray, readpatt : str, optional
        JWST names (``SUB320``, ``BRIGHT2``, ``NRSIRS2``...); full frame and the
        instrument's fastest read pattern by default.
    ngroups, nints : int
        Groups per integration and integrations (10 and 1 by default).
    seed : int
        Seed of the exposure's noise; the detector and the scene have their own seeds
        (``detector_seed``, ``scene_seed``: the exposures of a dither share them).
    exp_type, tso, zeroframe
        EXP_TYPE (default from the instrument), TSOVISIT, and whether to write ZEROFRAME.
    guide_mode : str, optional
        FGS only: ``ID-IMAGE``, ``ID-STACK``, ``ACQ1``, ``ACQ2``, ``TRACK`` or ``FINEGUIDE``
        writes a GuiderRawModel for calwebb_guider instead of a science exposure.
    dither : (dx, dy)
        Offset of the scene in pixels (turned into the ideal-frame offset that moves it so).
    dither_arcsec : (xoff, yoff), optional
        The dither as JWST gives it (XOFFSET, YOFFSET): where the target lands in the
        aperture's ideal frame, arcsec.  Overrides ``dither``.
    pointing : (ra, dec, roll)
        RA and Dec (deg) of the undithered reference point of the subarray, and the position
        angle of V3 there (ROLL_REF, deg).  The imagers' exposures carry consistent pointing
        keywords (SIAF geometry, velocity aberration) and their sky is a catalogue rendered
        through the true distortion, written as truth (``truth_sources.ecsv``,
        ``truth_catalog.ecsv``) with the stage-2 references (FLAT, PHOTOM, AREA, DISTORTION,
        FILTEROFFSET).
    dark_mode : {"auto", "frames", "groups"}
        A frame-resolved dark (NFRAMES=1, GROUPGAP=0, which jwst averages to the science
        pattern) or one already averaged to the exposure's pattern; "auto" writes the
        frame-resolved dark unless it would exceed 600 MB.
    **switches
        Effects and their sizes: see :data:`DEFAULT_SWITCHES`.
    truth_prefix : str
        Prefix of the truth files' names, which may include a directory (to keep those of
        several exposures apart: ``truth/<exposure>_``).
    catalog_margin : int
        Pixels of sky catalogue beyond the detector edges (raise it for large dithers).
    use_pysiaf : bool, optional
        Flight SIAF geometry (default when pysiaf is installed) or the analytic stand-in.

    Returns
    -------
    SimResult
        Paths of the ``_uncal`` file, the reference files (by lower-case reftype) and the
        truth files.
    """
    t_start = time.perf_counter()
    unknown = set(switches) - set(DEFAULT_SWITCHES)
    if unknown:
        raise ConfigError(f"unknown simulator option(s): {', '.join(sorted(unknown))}")
    sw = {**DEFAULT_SWITCHES, **switches}
    det = detector_spec(instrument, detector)
    guide = None
    if guide_mode:
        if det.instrument != "FGS":
            raise ConfigError("guide modes are FGS only")
        guide = GUIDER_MODES.get(guide_mode.strip().upper())
        if guide is None:
            raise ConfigError(f"unknown guide mode {guide_mode!r}: {', '.join(GUIDER_MODES)}")
        size = guide[1]
        x0 = (det.nx - size) // 2 + 1
        sub = SubarraySpec("FULL" if size == det.nx else f"SUB{size}CNTR", x0, x0, size, size, 1)
        if size == det.nx:
            sub = SubarraySpec("FULL", 1, 1, size, size, 4)
        rp = ReadPattern(guide_mode.strip().upper(), 1, 0, ("FGS",))
        exp_type = guide[0]
        ngroups = ngroups or guide[2]
        nints = nints or guide[3]
    else:
        rp = read_pattern(det, readpatt)
        sub = subarray_spec(det, subarray, irs2=rp.irs2)
    ngroups = int(ngroups or 10)
    nints = int(nints or 1)
    if ngroups < 1 or nints < 1:
        raise ConfigError("ngroups and nints must be at least 1")
    exp_type = (exp_type or default_exp_type(det, tso)).upper()
    tframe, tsample = frame_time(det, sub, rp)
    if guide is not None:
        tframe = round(max(tframe, 0.005), 5)
    key = "NIRCAM_LONG" if det.channel == "LONG" else det.instrument
    filt = filter or _FILTERS[key][0]
    pup = pupil or _FILTERS[key][1]

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    secs = {}

    # ----- detector and scene -------------------------------------------------------------
    t0 = time.perf_counter()
    full = make_detector_maps(det, detector_seed, defects=sw["bad_pixels"])
    maps = full.cut(sub)
    if not sw["nonlinearity"]:
        maps.lin_c2[:] = 0.0
        maps.lin_c3[:] = 0.0
    if not sw["saturation"]:
        maps.well[:] = 1e9
    geo = readout_geometry(det, sub)
    rate = np.zeros((sub.ysize, sub.xsize), np.float32)
    ident = ExposureId(exposure=exposure_number)
    start = start or dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=dt.UTC) + dt.timedelta(
        minutes=10 * (exposure_number - 1)
    )
    sky = None
    scene_seed = seed if scene_seed is None else scene_seed
    if sees_the_sky(det, exp_type) and not sw["flat_scene"]:
        ap = aperture_for(det, use_pysiaf)
        if dither_arcsec is None:
            dither_arcsec = dither_pixels_to_arcsec(ap, *dither)
        # the sky is rendered through the true distortion whether or not sources are wanted
        rate, sky = render_sky(
            det,
            sub,
            filt=filt,
            pupil=pup,
            pointing=pointing,
            dither_arcsec=dither_arcsec,
            mjd=_mjd(start),
            scene_seed=scene_seed,
            switches=sw,
            margin=catalog_margin,
            use_pysiaf=use_pysiaf,
        )
        rate = rate * maps.qe if sw["scene"] else np.zeros_like(rate)
    elif sw["scene"]:
        scene = make_scene(
            det,
            scene_seed,
            sky=sw["sky"],
            star_density=sw["star_density"],
            galaxy_density=sw["galaxy_density"],
            flat=sw["flat_scene"],
            bright_limit=sw["bright_limit"],
        )
        rate = render_scene(scene, det, sub, dither=dither) * maps.qe
    rate = rate.astype(np.float32)
    rate[maps.refpix] = 0.0
    secs["scene"] = time.perf_counter() - t0

    fwd = (
        None if det.instrument == "NIRSPEC" or not sw["ipc"] else ipc_forward_kernel(det.ipc_alpha)
    )
    sat = np.where(maps.refpix, 65535.0, maps.superbias + 0.98 * maps.well).astype(np.float32)
    sat = np.minimum(sat, 65000.0).astype(np.float32)
    drng = np.random.default_rng(
        [hash_name(det.name), 7, 0 if detector_seed is None else detector_seed]
    )
    setup = RampSetup(
        det=det,
        sub=sub,
        rp=rp,
        ngroups=ngroups,
        tframe=tframe,
        maps=maps,
        geo=geo,
        rate_dn=rate,
        ipc_kernel=fwd,
        ipc_region=_ipc_region(sub, det),
        sat_threshold=sat,
        switches=sw,
        zeroframe=zeroframe and not rp.irs2,
        ktc_sigma=12.0 if not det.is_miri else 4.0,
    )
    if det.is_miri:
        nref = min(nints, 2)
        amp = drng.normal(60.0, 15.0, (sub.ysize, sub.xsize)).astype(np.float32)
        g = np.arange(ngroups, dtype=np.float32)
        decay = np.exp(-g / 3.0)
        scale = np.array([1.0, 0.5])[:nref]
        setup.reset_anomaly = (
            scale[:, None, None, None] * decay[None, :, None, None] * amp[None, None]
        ).astype(np.float32)
        setup.firstframe = drng.normal(-15.0, 4.0, (sub.ysize, sub.xsize)).astype(np.float32)
        setup.lastframe = drng.normal(-8.0, 2.0, (sub.ysize, sub.xsize)).astype(np.float32)
        setup.rscd_coeff = 0.004
    if rp.irs2:
        setup.irs2 = IRS2Layout()
        b = drng.normal(det.bias, 120.0, (2048, 3200)).astype(np.float32)
        setup.irs2_bias = b
        setup.irs2_rn = det.rn_cds

    # ----- the ramps ----------------------------------------------------------------------
    t0 = time.perf_counter()
    shape = (3200, 2048) if rp.irs2 else (sub.ysize, sub.xsize)
    data = np.empty((nints, ngroups) + shape, dtype=np.uint16)
    zf = np.empty((nints,) + shape, dtype=np.uint16) if setup.zeroframe else None
    first_sat = np.empty((nints, sub.ysize, sub.xsize), dtype=np.int16)
    jumps: list = []
    prev = None
    n_events = 0
    for i in range(nints):
        res = simulate_integration(
            setup, i, np.random.default_rng([int(seed), 1, i]), n_events, prev
        )
        data[i] = res.raw
        if zf is not None:
            zf[i] = res.zeroframe
        first_sat[i] = res.first_sat
        jumps.extend(res.jumps)
        prev = res.final_signal
        n_events += res.n_events
    secs["ramps"] = time.perf_counter() - t0

    # ----- the exposure file --------------------------------------------------------------
    t0 = time.perf_counter()
    if guide is not None:
        model = dm.GuiderRawModel(data.astype(np.float32))
        model.dq = np.zeros(shape, np.uint32)
    else:
        model = dm.Level1bModel(data)
        if zf is not None:
            model.zeroframe = zf
    tm = exposure_meta(
        model,
        det=det,
        sub=sub,
        rp=rp,
        ngroups=ngroups,
        nints=nints,
        tframe=tframe,
        tsample=tsample,
        exp_type=exp_type,
        tso=tso,
        zeroframe=setup.zeroframe,
        ident=ident,
        start=start,
        filt=filt,
        pupil=pup,
        pointing=pointing,
        dither=dither,
        wcs_keywords=sky.ew.keywords() if sky is not None else None,
    )
    tint = tm["duration"] / nints
    if guide is None:
        model.group = group_table(
            nints, ngroups, shape[0], shape[1], tm["start_mjd"], tframe, rp, tint
        )
        model.int_times = int_times_table(nints, tm["start_mjd"], tint, tm["effinttm"])
    uncal = outdir / f"{ident.basename(det.name)}_uncal.fits"
    model.save(uncal)
    secs["write_uncal"] = time.perf_counter() - t0

    # ----- reference files ----------------------------------------------------------------
    t0 = time.perf_counter()
    w = RefWriter(outdir / "refs", det, sub, rp, exp_type=exp_type, filt=filt, pupil=pup)
    _write_refs(w, setup, maps, guide is not None, dark_mode, nints)
    if sky is not None and guide is None:
        Stage2Refs(w, sky.ew.aperture, sky.phot).write_all(maps.qe, maps.dq, sky.area)
        CatalogRefs(w).write_all()
    secs["write_refs"] = time.perf_counter() - t0

    # ----- truth --------------------------------------------------------------------------
    t0 = time.perf_counter()
    meta_model = dm.ImageModel()
    meta_model.update(model)
    tp = truth_prefix
    (outdir / f"{tp}x").parent.mkdir(parents=True, exist_ok=True)
    t_rate = truth.write_truth_rate(outdir / f"{tp}truth_rate.fits", rate, meta_model, maps.dq)
    t_jumps = truth.write_jumps(outdir / f"{tp}truth_jumps.ecsv", jumps)
    t_sat = truth.write_saturation(outdir / f"{tp}truth_saturation.fits", first_sat, ngroups)
    t_masks = truth.write_masks(outdir / f"{tp}truth_masks.fits", maps.dq, maps.qe, maps.dark)
    t_src = t_cat = None
    if sky is not None:
        t_src = write_truth_sources(
            outdir / f"{tp}truth_sources.ecsv", sky.catalog, sky.ew, sub, sky.placed, uncal.name
        )
        t_cat = write_truth_catalog(outdir / "truth_catalog.ecsv", sky.catalog)
    secs["write_truth"] = time.perf_counter() - t0
    secs["total"] = time.perf_counter() - t_start
    return SimResult(
        uncal=uncal,
        refs=dict(w.paths),
        truth_rate=t_rate,
        truth_jumps=t_jumps,
        truth_saturation=t_sat,
        truth_masks=t_masks,
        outdir=outdir,
        instrument=det.instrument,
        detector=det.name,
        subarray=sub.name,
        readpatt=rp.name,
        exp_type=exp_type,
        ngroups=ngroups,
        nints=nints,
        n_events=n_events,
        seconds=secs,
        truth_sources=t_src,
        truth_catalog=t_cat,
        wcs=sky.ew if sky is not None else None,
    )


def hash_name(name: str) -> int:
    import zlib

    return zlib.crc32(name.encode())


_RAPID = {"NIRCAM": "RAPID", "NIRISS": "NISRAPID", "NIRSPEC": "NRSRAPID", "FGS": "FGSRAPID"}


def _write_refs(w: RefWriter, s: RampSetup, maps, guider: bool, dark_mode: str, nints: int):
    det, rp = s.det, s.rp
    if guider:
        w.mask(maps.dq)
        w.gain(maps.gain)
        w.readnoise(maps.rn_cds)
        w.flat(maps.qe, maps.dq)
        return
    sat_dq = np.where(maps.refpix, DQ["NO_SAT_CHECK"], 0).astype(np.uint32)
    if s.irs2 is not None:
        lay = s.irs2
        extra_dq = np.full((2048, 3200), DQ["REFERENCE_PIXEL"], np.uint32)
        w.mask(lay.assemble(maps.dq, extra_dq, det.name))
        w.superbias(lay.assemble(maps.superbias, s.irs2_bias, det.name))
        w.irs2()
    else:
        w.mask(maps.dq)
        if not det.is_miri:
            w.superbias(maps.superbias)
    w.saturation(s.sat_threshold, sat_dq)
    w.linearity(linearity_coeffs(maps, maps.superbias if det.is_miri else None))
    w.gain(maps.gain)
    w.readnoise(maps.rn_cds)
    if s.ipc_kernel is not None:
        w.ipc(s.ipc_kernel)
    dark_rate = maps.dark if s.switches["dark"] else np.zeros_like(maps.dark)
    step = rp.nframes + rp.groupgap
    nframes_total = s.ngroups * step - rp.groupgap
    if det.is_miri:
        t = (np.arange(s.ngroups) + 1) * s.tframe
        frames = dark_rate[None] * t[:, None, None]
        frames = np.repeat(frames[None], min(nints, 2), axis=0)
        w.dark(frames, 1, 0, dark_rate, "ANY")
    else:
        size = nframes_total * dark_rate.size * 4
        frame_resolved = dark_mode == "frames" or (dark_mode == "auto" and size <= 600e6)
        if frame_resolved:
            t = (np.arange(nframes_total) + 1) * s.tframe
            frames = dark_rate[None] * t[:, None, None].astype(np.float32)
            name = "NRSIRS2RAPID" if rp.irs2 else _RAPID[det.instrument]
            w.dark(frames, 1, 0, dark_rate, name)
        else:
            # Group-averaged: the mean read time of each group's frames.
            t = (
                np.array(
                    [
                        np.mean(np.arange(g * step, g * step + rp.nframes) + 1)
                        for g in range(s.ngroups)
                    ]
                )
                * s.tframe
            )
            frames = dark_rate[None] * t[:, None, None].astype(np.float32)
            w.dark(frames, rp.nframes, rp.groupgap, dark_rate, rp.name)
    if det.is_miri:
        w.reset(s.reset_anomaly)
        w.rscd(1, 4)
        w.lastframe(s.lastframe)
        w.emicorr()
    w.persat(0.95 * maps.well)
    w.trapdensity(np.full(maps.well.shape, 0.05, np.float32))
    w.trappars()
    if det.instrument == "FGS":
        w.flat(maps.qe, maps.dq)
