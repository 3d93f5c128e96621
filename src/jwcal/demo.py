"""``python -m jwcal demo``: a small dithered NIRCam observation, end to end, no downloads.

Simulates dithered exposures of one field on NRCA1 (raw ramps, the matching CRDS-format
reference files and the truth), then runs the three imaging stages on them exactly as a user
would on MAST data: ``calwebb_detector1`` on each ``_uncal``, ``calwebb_image2`` on each
``_rate``, ``calwebb_image3`` on the association of the ``_cal`` products; and writes quicklook
PNGs of what each stage made.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = ["add_arguments", "run", "run_demo"]


def add_arguments(p) -> None:
    p.add_argument("--outdir", default="jwcal-demo", help="where to write (default jwcal-demo)")
    p.add_argument("--subarray", default="SUB320", help="NIRCam subarray (default SUB320)")
    p.add_argument("--ngroups", type=int, default=6, help="groups per integration (default 6)")
    p.add_argument("--nexp", type=int, default=4, help="dithered exposures, 1-8 (default 4)")
    p.add_argument("--seed", type=int, default=2024)


def run(args) -> int:
    run_demo(
        args.outdir, subarray=args.subarray, ngroups=args.ngroups, nexp=args.nexp, seed=args.seed
    )
    return 0


@contextmanager
def _reference_dir(path: Path):
    """Point jwcal's reference lookup at the simulated references for the duration."""
    old = os.environ.get("JWCAL_REFDIR")
    os.environ["JWCAL_REFDIR"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("JWCAL_REFDIR", None)
        else:
            os.environ["JWCAL_REFDIR"] = old


def _look(look_dir: Path, path: Path, what: str) -> list[Path]:
    """An image PNG (and a DQ map when the product has one) of a product's first plane."""
    from .datamodels import open as dm_open
    from .quicklook import save_dq_png, save_image_png

    model = dm_open(path)
    data = model.data if model.data.ndim == 2 else model.data[0]
    stem = path.name.removesuffix(".fits")
    unit = model.meta.bunit_data or ""
    out = [save_image_png(look_dir / f"{stem}.png", data, f"{stem}: {what}", unit=unit)]
    if model.has("dq"):
        dq = model.dq
        dq2 = dq if dq.ndim == 2 else dq[0]
        out.append(save_dq_png(look_dir / f"{stem}_dq.png", dq2, f"{stem}: DQ flags"))
    return out


def run_demo(outdir, *, subarray="SUB320", ngroups=6, nexp=4, seed=2024, log=print) -> dict:
    """Simulate, calibrate through stages 1-3 and look; returns stage -> paths written."""
    from .associations import asn_from_list
    from .datamodels import open as dm_open
    from .pipelines import Detector1Pipeline, Image2Pipeline, Image3Pipeline
    from .quicklook import save_image_png
    from .simulate import simulate_dithers

    out = Path(outdir)
    raw_dir, look_dir = out / "raw", out / "quicklook"
    look_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    sim = simulate_dithers(
        raw_dir,
        "nircam",
        "nrca1",
        subarray,
        dithers=nexp,
        level="uncal",
        seed=seed,
        detector_seed=0,
        readpatt="BRIGHT2",
        ngroups=ngroups,
        nints=1,
    )
    written: dict[str, list] = {"uncal": list(sim.inputs), "quicklook": []}
    log(f"simulated {len(sim.inputs)} dithered {subarray} exposures in {raw_dir}")
    first = sim.inputs[0]
    raw = dm_open(first).data
    stem = first.name.removesuffix("_uncal.fits")
    written["quicklook"].append(
        save_image_png(
            look_dir / f"{stem}_raw_last_minus_first.png",
            raw[0, -1].astype(np.float32) - raw[0, 0].astype(np.float32),
            f"{stem}: last minus first group (raw)",
            unit="DN",
        )
    )

    dirs = {s: out / s for s in ("detector1", "image2", "image3")}
    for d in dirs.values():
        d.mkdir(exist_ok=True)
    with _reference_dir(raw_dir / "refs"):
        t = time.perf_counter()
        for uncal in sim.inputs:
            Detector1Pipeline.call(str(uncal), output_dir=str(dirs["detector1"]), save_results=True)
        rates = sorted(dirs["detector1"].glob("*_rate.fits"))
        log(f"detector1: {len(rates)} _rate products in {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        for rate in rates:
            Image2Pipeline.call(str(rate), output_dir=str(dirs["image2"]), save_results=True)
        cals = sorted(dirs["image2"].glob("*_cal.fits"))
        log(f"image2: {len(cals)} _cal and _i2d products in {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        filt = (dm_open(cals[0]).meta.instrument.filter or "clear").lower()
        product = f"jw01234-o001_t001_nircam_clear-{filt}"
        asn = asn_from_list(
            [c.name for c in cals], product_name=product, rule="level3", asn_pool="jwcal_demo"
        ).save(dirs["image2"] / "image3_asn.json")
        Image3Pipeline.call(str(asn), output_dir=str(dirs["image3"]), save_results=True)
        mosaics = sorted(dirs["image3"].glob("*_i2d.fits"))
        log(f"image3: mosaic and catalog in {time.perf_counter() - t:.1f} s")

    written.update(detector1=rates, image2=cals, image3=mosaics)
    written["quicklook"] += _look(look_dir, rates[0], "count rate (detector1)")
    written["quicklook"] += _look(look_dir, cals[0], "calibrated (image2)")
    for mosaic in mosaics:
        written["quicklook"] += _look(look_dir, mosaic, f"mosaic of {len(cals)} exposures")
    log("")
    log(f"demo finished in {time.perf_counter() - t0:.0f} s; everything is under {out.resolve()}")
    log(f"  raw exposures, references and truth: {raw_dir}/")
    for stage, d in dirs.items():
        log(f"  {stage} products: {d}/")
    log(f"  quicklook PNGs ({len(written['quicklook'])}): {look_dir}/")
    return written
