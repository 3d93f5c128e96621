"""``simulate_image3``: a dithered observation for stage 3, with what stage 3 must repair.

On top of :func:`~jwcal.simulate.simulate_dithers` (one sky seen through each exposure's
true mapping), each exposure gets

- a pointing error: its pointing keywords (RA_REF, DEC_REF, ROLL_REF and the keywords
  derived from them) are those of an attitude moved by (dRA, dDec) arcsec and turned by
  dROLL deg, while the sky stays where the true attitude put it, so assign_wcs builds a
  WCS that is off by that much (what tweakreg must find);
- a sky offset: a constant in MJy/sr after calibration (added to the rate as
  ``offset / PHOTMJSR * FLAT``), the differences that skymatch must recover;
- residual cosmic rays: single pixels and small clusters added to the rate and not flagged,
  the hits stage 1 missed (what outlier_detection must flag).

The truth goes to ``truth_stage3.ecsv`` (per exposure: pointing error, sky offset) and
``truth/<exposure>_truth_outliers.ecsv`` (per pixel hit: position, amplitude in DN/s and
MJy/sr); ``refcat.ecsv`` lists the stars' true RA/DEC (a local absolute reference catalog
for tweakreg's ``abs_refcat``).  The references gain APCORR (FITS; the encircled energy of
the simulated PSF) and ABVEGAOFFSET (ASDF) for source_catalog.  With ``calibrate`` (the
default) jwcal's calwebb_image2 makes the ``_cal`` files the stage-3 association lists.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .observation import simulate_dithers

__all__ = ["simulate_image3", "Image3Sim"]


@dataclass
class Image3Sim:
    """What :func:`simulate_image3` wrote."""

    outdir: Path
    rates: list
    cals: list
    asn_image2: Path
    asn_image3: Path
    refs: dict
    truth: Path  #: truth_stage3.ecsv
    truth_outliers: list  #: per exposure
    truth_sources: list  #: per exposure
    truth_catalog: Path
    refcat: Path
    wcs: list = field(default_factory=list)  #: true ExposureWcs of each exposure

    def refs_by_type(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.refs.items()}


def _default_errors(n: int, rng) -> list[tuple[float, float, float]]:
    out = [(0.0, 0.0, 0.0)]
    for _ in range(n - 1):
        dra, ddec = rng.uniform(-0.25, 0.25, 2)
        out.append((float(dra), float(ddec), float(rng.uniform(-0.004, 0.004))))
    return out


def simulate_image3(
    outdir,
    instrument: str | None = "nircam",
    detector: str | None = "nrca1",
    subarray: str | None = None,
    *,
    dithers=4,
    seed: int = 0,
    wcs_errors=None,
    sky_offsets=None,
    outlier_density: float = 1.5e-4,
    outlier_snr: tuple[float, float] = (10.0, 500.0),
    calibrate: bool = True,
    refcat_min_flux: float | None = None,
    **kwargs,
) -> Image3Sim:
    """Simulate a dithered observation with pointing errors, sky offsets and residual
    cosmic rays, its references (APCORR and ABVEGAOFFSET included) and its truth.

    Parameters
    ----------
    outdir : path
        Where everything goes.
    instrument, detector, subarray
        An imager (NIRCam NRCA1 full frame by default).
    dithers : int or list
        As for :func:`~jwcal.simulate.simulate_dithers`.
    seed : int
        Seed of the noise, the scene and the injected errors.
    wcs_errors : list of (dRA, dDec, dROLL), optional
        Pointing errors (arcsec, arcsec, deg) of the exposures; by default none for the
        first and up to 0.25 arcsec and 0.004 deg for the others.
    sky_offsets : list of float, optional
        Sky added to each exposure (MJy/sr after calibration); default 0, then up to 0.05.
    outlier_density : float
        Residual cosmic-ray events per pixel.
    outlier_snr : (float, float)
        Range (log-uniform) of their peak amplitude over the pixel's noise.
    calibrate : bool
        Run jwcal's calwebb_image2 (without resample) to make the ``_cal`` files.
    refcat_min_flux : float, optional
        Faintest star (Jy) in ``refcat.ecsv`` (default: all stars).
    **kwargs
        Passed on (filter, pupil, pointing, star_density, ...).
    """
    from .. import datamodels as dm

    n_dithers = dithers if isinstance(dithers, int) else len(dithers)
    for name, vals in (("wcs_errors", wcs_errors), ("sky_offsets", sky_offsets)):
        if vals is not None and len(vals) != n_dithers:
            raise ConfigError(f"{name} needs one entry per exposure ({n_dithers})")
    outdir = Path(outdir)
    res = simulate_dithers(outdir, instrument, detector, subarray, dithers=dithers,
                           level="rate", seed=seed, **kwargs)  # fmt: skip
    n = len(res.exposures)
    rng = np.random.default_rng([int(seed), 0x53A3])
    errors = list(wcs_errors) if wcs_errors is not None else _default_errors(n, rng)
    if sky_offsets is None:
        sky_offsets = [0.0] + [float(v) for v in rng.uniform(0.005, 0.05, n - 1)]
    if len(errors) != n or len(sky_offsets) != n:
        raise ConfigError(f"wcs_errors and sky_offsets need one entry per exposure ({n})")
    refs = dict(res.refs)
    flat = dm.open(refs["flat"]).data.astype(np.float64)
    rows = []
    outliers = []
    for k, (exp, err, sky) in enumerate(zip(res.exposures, errors, sky_offsets, strict=True)):
        model = dm.open(exp.rate)
        model.load_all()
        photmjsr = _photmjsr(refs["photom"], model)
        _apply_pointing_error(model, exp.wcs, err)
        data = model.data.astype(np.float64)
        good = np.isfinite(data)
        data[good] += (sky / photmjsr * flat)[good]
        name = exp.rate.name.replace("_rate.fits", "")
        hits = _inject_outliers(data, model, flat, photmjsr, outlier_density, outlier_snr,
                                np.random.default_rng([int(seed), 0xC0, k]))  # fmt: skip
        model.data = data.astype(np.float32)
        model.save(exp.rate)
        path = outdir / "truth" / f"{name}_truth_outliers.ecsv"
        _write_table(hits, path, "Residual cosmic-ray hits added to the rate and not flagged: "
                     "0-based x, y; amplitude in DN/s and in MJy/sr after calibration; its "
                     "ratio to the pixel's noise (ERR).")  # fmt: skip
        outliers.append(path)
        rows.append({"exposure": name, "dra_arcsec": err[0], "ddec_arcsec": err[1],
                     "droll_deg": err[2], "sky_offset_mjysr": float(sky),
                     "photmjsr": photmjsr, "n_outliers": len(hits["x"])})  # fmt: skip
    truth = outdir / "truth_stage3.ecsv"
    _write_table({k: [r[k] for r in rows] for k in rows[0]}, truth,
                 "Per exposure: pointing error put in the keywords (RA, Dec offsets in arcsec, "
                 "roll in deg), sky added (MJy/sr after calibration).")  # fmt: skip
    refcat = _write_refcat(outdir / "refcat.ecsv", res.truth_catalog, refcat_min_flux)
    cals = []
    if calibrate:
        cals = _calibrate(res, refs, outdir)
    return Image3Sim(
        outdir=outdir,
        rates=[e.rate for e in res.exposures],
        cals=cals,
        asn_image2=res.asn_image2,
        asn_image3=res.asn_image3,
        refs=refs,
        truth=truth,
        truth_outliers=outliers,
        truth_sources=[e.truth_sources for e in res.exposures],
        truth_catalog=res.truth_catalog,
        refcat=refcat,
        wcs=[e.wcs for e in res.exposures],
    )


def _photmjsr(photom_path, model) -> float:
    from .. import datamodels as dm

    tab = dm.open(photom_path).phot_table
    filt = model.meta.get("instrument.filter")
    pupil = model.meta.get("instrument.pupil")
    sel = tab["filter"] == filt
    if "pupil" in tab.dtype.names and pupil is not None:
        sel &= tab["pupil"] == pupil
    if not sel.any():
        sel = np.ones(len(tab), bool)
    return float(tab["photmjsr"][np.flatnonzero(sel)[0]])


def _apply_pointing_error(model, ew, err) -> None:
    """Write the pointing keywords of the true attitude moved by ``err``."""
    from .pointing import Attitude

    dra, ddec, droll = (float(v) for v in err)
    if not (dra or ddec or droll):
        return
    kw = ew.keywords()
    ra, dec, roll = kw["wcsinfo.ra_ref"], kw["wcsinfo.dec_ref"], kw["wcsinfo.roll_ref"]
    att = Attitude.from_reference(
        ew.v2_ref, ew.v3_ref, ra + dra / 3600.0 / np.cos(np.deg2rad(dec)),
        dec + ddec / 3600.0, roll + droll,
    )  # fmt: skip
    for key, value in dataclasses.replace(ew, attitude=att).keywords().items():
        model.meta.set(key, value)


def _inject_outliers(data, model, flat, photmjsr, density, snr_range, rng) -> dict:
    """Add cosmic-ray residuals (1 to 4 pixels per event) to ``data`` (DN/s)."""
    ny, nx = data.shape
    err = np.asarray(model.err, np.float64)
    dq = np.asarray(model.dq)
    from ..dqflags import pixel as PIXEL

    usable = np.isfinite(data) & np.isfinite(err) & (err > 0)
    usable &= (dq & (PIXEL["DO_NOT_USE"] | PIXEL["NON_SCIENCE"] | PIXEL["REFERENCE_PIXEL"])) == 0
    nev = rng.poisson(density * nx * ny)
    xs = rng.integers(4, nx - 4, nev)
    ys = rng.integers(4, ny - 4, nev)
    lo, hi = np.log(snr_range[0]), np.log(snr_range[1])
    out = {"x": [], "y": [], "event": [], "amp_dn_s": [], "amp_mjysr": [], "snr": []}
    shapes = ([(0, 0)], [(0, 0), (1, 0)], [(0, 0), (0, 1)], [(0, 0), (1, 0), (0, 1), (1, 1)])
    seen = set()
    for e in range(nev):
        snr = float(np.exp(rng.uniform(lo, hi)))
        shape = shapes[rng.integers(0, len(shapes))]
        for j, (dx, dy) in enumerate(shape):
            x, y = int(xs[e] + dx), int(ys[e] + dy)
            if not usable[y, x] or (x, y) in seen:
                continue
            seen.add((x, y))
            amp = snr * err[y, x] * (1.0 if j == 0 else rng.uniform(0.2, 0.6))
            data[y, x] += amp
            out["x"].append(x)
            out["y"].append(y)
            out["event"].append(e)
            out["amp_dn_s"].append(amp)
            out["amp_mjysr"].append(amp / flat[y, x] * photmjsr)
            out["snr"].append(amp / err[y, x])
    return out


def _write_refcat(path: Path, catalog_path: Path, min_flux) -> Path:
    from astropy.table import Table

    t = Table.read(catalog_path, format="ascii.ecsv")
    stars = t[t["kind"] == "star"]
    if min_flux is not None:
        stars = stars[stars["flux_jy"] >= min_flux]
    out = Table({"RA": stars["ra"], "DEC": stars["dec"], "flux_jy": stars["flux_jy"]})
    out.meta["description"] = "True positions of the simulated stars (an absolute catalog)"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    out.write(tmp, format="ascii.ecsv", overwrite=True)
    os.replace(tmp, path)
    return path


def _write_table(cols: dict, path: Path, description: str) -> Path:
    from astropy.table import Table

    path.parent.mkdir(parents=True, exist_ok=True)
    t = Table({k: np.asarray(v) for k, v in cols.items()})
    t.meta["description"] = description
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    t.write(tmp, format="ascii.ecsv", overwrite=True)
    os.replace(tmp, path)
    return path


def _calibrate(res, refs, outdir: Path) -> list[Path]:
    from ..pipelines.image2 import Image2Pipeline

    steps = {
        "assign_wcs": {
            "override_distortion": str(refs["distortion"]),
            "override_filteroffset": str(refs.get("filteroffset", "N/A")),
        },
        "flat_field": {"override_flat": str(refs["flat"])},
        "photom": {"override_photom": str(refs["photom"]), "override_area": str(refs["area"])},
        "resample": {"skip": True},
    }
    Image2Pipeline.call(str(res.asn_image2), steps=steps, output_dir=str(outdir),
                        save_results=True, configure_log=False)  # fmt: skip
    return [outdir / p.name.replace("_rate.fits", "_cal.fits") for p in res.inputs]
