"""``simulate_rate``: a count-rate product (``_rate.fits``) straight from the sky, for stage-2
and stage-3 tests that do not need stage 1.

The rate is the truth rate (sky catalogue through the true distortion, times the QE) plus
the noise of an up-the-ramp fit of the exposure's read pattern: photon noise of the
collected charge and read noise of ``ngroups`` groups.  ERR and the variances are those
ramp fitting reports (the Poisson variance from the measured rate); DO_NOT_USE pixels of
the mask are NaN, as jwst leaves them.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import datamodels as dm
from ..dqflags import pixel as DQ
from ..errors import ConfigError
from .catalogrefs import CatalogRefs
from .detector import make_detector_maps
from .geometry import aperture_for, sees_the_sky
from .headers import ExposureId, _mjd, exposure_meta, timing
from .instruments import default_exp_type, detector_spec, frame_time, read_pattern, subarray_spec
from .reffiles import RefWriter
from .sky import render_sky, write_truth_catalog, write_truth_sources
from .stage2refs import Stage2Refs
from .truth import write_masks, write_truth_rate

__all__ = ["simulate_rate", "RateResult", "STAGE1_STEPS"]

#: The calwebb_detector1 steps a near-IR and a MIRI rate product have been through.
STAGE1_STEPS = {
    "nir": (
        "dq_init",
        "saturation",
        "superbias",
        "refpix",
        "linearity",
        "dark_sub",
        "jump",
        "ramp_fit",
        "gain_scale",
        "group_scale",
        "ipc",
    ),
    "miri": (
        "dq_init",
        "emicorr",
        "saturation",
        "firstframe",
        "lastframe",
        "reset",
        "linearity",
        "rscd",
        "dark_sub",
        "refpix",
        "jump",
        "ramp_fit",
        "gain_scale",
        "group_scale",
    ),
}
_SKIPPED = ("charge_migration", "persistence", "picture_frame", "clean_flicker_noise")


@dataclass
class RateResult:
    """Where :func:`simulate_rate` wrote its products."""

    rate: Path
    refs: dict[str, Path]
    truth_rate: Path
    truth_sources: Path
    truth_catalog: Path
    truth_masks: Path
    outdir: Path
    instrument: str
    detector: str
    subarray: str
    exp_type: str
    wcs: object = None  #: the exposure's true pixel <-> sky mapping (ExposureWcs)
    seconds: dict = field(default_factory=dict)

    def refs_by_type(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.refs.items()}


def simulate_rate(
    outdir,
    instrument: str | None = None,
    detector: str | None = None,
    subarray: str | None = None,
    seed: int = 0,
    *,
    readpatt: str | None = None,
    ngroups: int = 10,
    nints: int = 1,
    exp_type: str | None = None,
    filter: str | None = None,  # noqa: A002 - the JWST keyword's name
    pupil: str | None = None,
    pointing: tuple[float, float, float] = (53.16, -27.79, 0.0),
    dither_arcsec: tuple[float, float] = (0.0, 0.0),
    exposure_number: int = 1,
    detector_seed: int | None = None,
    scene_seed: int | None = None,
    start: dt.datetime | None = None,
    truth_prefix: str = "",
    catalog_margin: int = 64,
    noise: bool = True,
    use_pysiaf: bool | None = None,
    **switches,
) -> RateResult:
    """Write a ``_rate.fits`` of an imager, its stage-2 references and the truth.

    Parameters are those of :func:`~jwcal.simulate.simulate_exposure` (the read pattern,
    ``ngroups`` and ``nints`` set the exposure time and the noise); ``noise=False`` writes
    the truth rate itself.  The switches that apply are the scene's (``sky``,
    ``star_density``, ``galaxy_density``, ``bright_limit``, ``bad_pixels``, ``scene``).
    """
    from .api import _FILTERS, DEFAULT_SWITCHES

    t_start = time.perf_counter()
    unknown = set(switches) - set(DEFAULT_SWITCHES)
    if unknown:
        raise ConfigError(f"unknown simulator option(s): {', '.join(sorted(unknown))}")
    sw = {**DEFAULT_SWITCHES, **switches}
    det = detector_spec(instrument, detector)
    if exp_type is None:
        exp_type = "NRS_IMAGE" if det.instrument == "NIRSPEC" else default_exp_type(det)
    exp_type = exp_type.upper()
    if not sees_the_sky(det, exp_type):
        raise ConfigError(f"simulate_rate makes imaging products, not {det.name} {exp_type}")
    rp = read_pattern(det, readpatt)
    sub = subarray_spec(det, subarray)
    key = "NIRCAM_LONG" if det.channel == "LONG" else det.instrument
    filt = filter or _FILTERS[key][0]
    pup = pupil or _FILTERS[key][1]
    tframe, tsample = frame_time(det, sub, rp)
    ident = ExposureId(exposure=exposure_number)
    start = start or dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=dt.UTC) + dt.timedelta(
        minutes=10 * (exposure_number - 1)
    )
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    secs = {}

    t0 = time.perf_counter()
    maps = make_detector_maps(det, detector_seed, defects=sw["bad_pixels"]).cut(sub)
    aperture_for(det, use_pysiaf)
    truth_rate, sky = render_sky(
        det,
        sub,
        filt=filt,
        pupil=pup,
        pointing=pointing,
        dither_arcsec=dither_arcsec,
        mjd=_mjd(start),
        scene_seed=seed if scene_seed is None else scene_seed,
        switches=sw,
        margin=catalog_margin,
        use_pysiaf=use_pysiaf,
    )
    truth_rate = (truth_rate * maps.qe if sw["scene"] else 0.0 * truth_rate).astype(np.float32)
    truth_rate[maps.refpix] = 0.0
    secs["scene"] = time.perf_counter() - t0

    model = dm.ImageModel(truth_rate.copy())
    exposure_meta(
        model,
        det=det,
        sub=sub,
        rp=rp,
        ngroups=ngroups,
        nints=nints,
        tframe=tframe,
        tsample=tsample,
        exp_type=exp_type,
        tso=False,
        zeroframe=False,
        ident=ident,
        start=start,
        filt=filt,
        pupil=pup,
        pointing=pointing,
        dither=(0.0, 0.0),
        wcs_keywords=sky.ew.keywords(),
    )
    rng = np.random.default_rng([int(seed), 0x4A7E, exposure_number])
    _fill_rate(model, truth_rate, maps, det, rp, ngroups, nints, tframe, rng, noise)
    _stage1_meta(model, det)
    rate_path = outdir / f"{ident.basename(det.name)}_rate.fits"
    model.save(rate_path)

    w = RefWriter(outdir / "refs", det, sub, rp, exp_type=exp_type, filt=filt, pupil=pup)
    Stage2Refs(w, sky.ew.aperture, sky.phot).write_all(maps.qe, maps.dq, sky.area)
    CatalogRefs(w).write_all()
    meta_model = dm.ImageModel()
    meta_model.update(model)
    tp = truth_prefix
    (outdir / f"{tp}x").parent.mkdir(parents=True, exist_ok=True)
    t_rate = write_truth_rate(outdir / f"{tp}truth_rate.fits", truth_rate, meta_model, maps.dq)
    t_masks = write_masks(outdir / f"{tp}truth_masks.fits", maps.dq, maps.qe, maps.dark)
    t_src = write_truth_sources(
        outdir / f"{tp}truth_sources.ecsv", sky.catalog, sky.ew, sub, sky.placed, rate_path.name
    )
    t_cat = write_truth_catalog(outdir / "truth_catalog.ecsv", sky.catalog)
    secs["total"] = time.perf_counter() - t_start
    return RateResult(
        rate=rate_path,
        refs=dict(w.paths),
        truth_rate=t_rate,
        truth_sources=t_src,
        truth_catalog=t_cat,
        truth_masks=t_masks,
        outdir=outdir,
        instrument=det.instrument,
        detector=det.name,
        subarray=sub.name,
        exp_type=exp_type,
        wcs=sky.ew,
        seconds=secs,
    )


def _fill_rate(model, truth, maps, det, rp, ngroups, nints, tframe, rng, noise: bool) -> None:
    """SCI, ERR, DQ and the variances of an up-the-ramp fit of ``truth`` (DN/s)."""
    tm = timing(det, rp, ngroups, nints, tframe)
    tgroup = tm["tgroup"]
    n = max(ngroups, 2)
    t_int = (n - 1) * tgroup
    gain = maps.gain.astype(np.float64)
    # read noise of an unweighted least-squares slope over n groups of nframes averaged frames
    rn_frame2 = (maps.rn_cds.astype(np.float64) ** 2) / 2.0 / rp.nframes
    var_r = 12.0 * rn_frame2 / ((n**3 - n) * tgroup**2) / nints
    truth = truth.astype(np.float64)
    if noise:
        electrons = rng.poisson(np.clip(truth, 0, None) * gain * t_int * nints)
        data = electrons / (gain * t_int * nints) + rng.normal(0.0, 1.0, truth.shape) * np.sqrt(
            var_r
        )
    else:
        data = truth.copy()
    var_p = np.clip(data, 0, None) / (gain * t_int * nints)
    dq = maps.dq.astype(np.uint32)
    bad = (dq & DQ["DO_NOT_USE"]) != 0
    for arr in (data, var_p, var_r):
        arr[bad] = np.nan
    model.data = data.astype(np.float32)
    model.dq = dq
    model.var_poisson = var_p.astype(np.float32)
    model.var_rnoise = var_r.astype(np.float32)
    model.err = np.sqrt(var_p + var_r).astype(np.float32)


def _stage1_meta(model, det) -> None:
    m = model.meta
    for step in STAGE1_STEPS[det.family]:
        m.set(f"cal_step.{step}", "COMPLETE")
    for step in _SKIPPED:
        m.set(f"cal_step.{step}", "SKIPPED")
    m.bunit_data = "DN/s"
    m.bunit_err = "DN/s"
