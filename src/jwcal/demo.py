"""``python -m jwcal demo``: a small dithered NIRCam observation, end to end, no downloads.

Simulates four dithered SUB320 exposures of one field on NRCA1 (with the matching reference
files), runs every calibration stage this installation of jwcal has (stage 1 ``detector1``,
then ``image2`` and ``image3`` as they land), and writes quicklook PNGs of what it made.
"""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path

import numpy as np

__all__ = ["add_arguments", "run", "run_demo", "STAGES"]

#: (stage, module, class, input suffix, output suffix), in processing order.
STAGES = (
    ("detector1", "jwcal.pipelines.detector1", "Detector1Pipeline", "uncal", "rate"),
    ("image2", "jwcal.pipelines.image2", "Image2Pipeline", "rate", "cal"),
    ("image3", "jwcal.pipelines.image3", "Image3Pipeline", "cal", "i2d"),
)

DITHERS = ((0.0, 0.0), (7.3, 4.1), (-5.2, 9.6), (11.8, -6.4))


def add_arguments(p) -> None:
    p.add_argument("--outdir", default="jwcal-demo", help="where to write (default jwcal-demo)")
    p.add_argument("--subarray", default="SUB320", help="NIRCam subarray (default SUB320)")
    p.add_argument("--ngroups", type=int, default=6)
    p.add_argument("--nexp", type=int, default=4, help="dithered exposures (default 4)")
    p.add_argument("--seed", type=int, default=2024)


def run(args) -> int:
    run_demo(
        args.outdir, subarray=args.subarray, ngroups=args.ngroups, nexp=args.nexp, seed=args.seed
    )
    return 0


def _find_stage(module: str, cls: str):
    """The pipeline class when this installation has it (stages land one by one)."""
    try:
        reg = importlib.import_module("jwcal.stpipe.registry")
        getter = getattr(reg, "get", None) or getattr(reg, "lookup", None)
        if getter is not None:
            found = getter(cls)
            if found is not None:
                return found
    except (ImportError, LookupError, KeyError, ValueError):
        pass
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError):
        return None


def run_demo(outdir, *, subarray="SUB320", ngroups=6, nexp=4, seed=2024, log=print) -> dict:
    """Simulate, calibrate and look; returns what was written (stage -> list of paths)."""
    from .datamodels import open as dm_open
    from .quicklook import save_dq_png, save_image_png
    from .simulate import simulate_exposure

    out = Path(outdir)
    raw_dir, look_dir = out / "raw", out / "quicklook"
    look_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    written: dict[str, list] = {"uncal": [], "quicklook": []}
    sims = []
    for i in range(nexp):
        sim = simulate_exposure(
            raw_dir / f"exp{i + 1}",
            instrument="nircam",
            detector="nrca1",
            subarray=subarray,
            readpatt="BRIGHT2",
            ngroups=ngroups,
            nints=1,
            seed=seed + i,
            scene_seed=seed,
            detector_seed=0,
            dither=DITHERS[i % len(DITHERS)],
            exposure_number=i + 1,
            star_density=6e-5,
            galaxy_density=1.5e-4,
        )
        sims.append(sim)
        written["uncal"].append(sim.uncal)
        log(
            f"simulated {sim.uncal.name} ({sim.seconds['total']:.1f} s, {sim.n_events} cosmic rays)"
        )
        raw = dm_open(sim.uncal).data
        diff = raw[0, -1].astype(np.float32) - raw[0, 0].astype(np.float32)
        stem = sim.uncal.name.replace("_uncal.fits", "")
        written["quicklook"].append(
            save_image_png(
                look_dir / f"{stem}_raw_last_minus_first.png",
                diff,
                f"{stem}: last minus first group (raw)",
                unit="DN",
            )
        )
        truth = dm_open(sim.truth_rate)
        written["quicklook"].append(
            save_image_png(
                look_dir / f"{stem}_truth_rate.png", truth.data, f"{stem}: true count rate"
            )
        )
        written["quicklook"].append(
            save_dq_png(
                look_dir / f"{stem}_mask_dq.png", truth.dq, f"{stem}: bad-pixel mask (MASK)"
            )
        )

    inputs = [s.uncal for s in sims]
    for stage, module, cls, _, suffix in STAGES:
        pipe = _find_stage(module, cls)
        if pipe is None:
            log(f"stage {stage}: not in this jwcal yet, skipped")
            continue
        stage_dir = out / stage
        stage_dir.mkdir(exist_ok=True)
        produced = []
        # The simulated exposures share one detector, so one reference set serves them all;
        # jwcal's reference lookup finds it through JWCAL_REFDIR.
        old = os.environ.get("JWCAL_REFDIR")
        os.environ["JWCAL_REFDIR"] = str(sims[0].outdir / "refs")
        try:
            ins = inputs if stage != "image3" else [inputs]
            for item in ins:
                pipe.call(item, output_dir=str(stage_dir), save_results=True)
            produced = sorted(stage_dir.glob(f"*_{suffix}.fits"))
        except Exception as exc:  # a stage under construction must not stop the demo
            msg = str(exc).splitlines()[0] if str(exc) else ""
            log(f"stage {stage}: failed ({type(exc).__name__}: {msg})")
            continue
        finally:
            if old is None:
                os.environ.pop("JWCAL_REFDIR", None)
            else:
                os.environ["JWCAL_REFDIR"] = old
        written[stage] = produced
        for p in produced:
            model = dm_open(p)
            data = model.data if model.data.ndim == 2 else model.data[0]
            written["quicklook"].append(
                save_image_png(look_dir / f"{p.stem}.png", data, f"{p.stem}")
            )
            dq = getattr(model, "dq", None)
            if dq is not None:
                dq2 = dq if dq.ndim == 2 else dq[0]
                written["quicklook"].append(
                    save_dq_png(look_dir / f"{p.stem}_dq.png", dq2, f"{p.stem}: DQ flags")
                )
        inputs = produced
        log(f"stage {stage}: {len(produced)} product(s) in {stage_dir}")
    dt = time.perf_counter() - t0
    log("")
    log(f"demo finished in {dt:.0f} s; everything is under {out.resolve()}")
    log(f"  raw exposures, references and truth: {raw_dir}/exp*/")
    for stage, *_ in STAGES:
        if written.get(stage):
            log(f"  {stage} products: {out / stage}/")
    log(f"  quicklook PNGs ({len(written['quicklook'])}): {look_dir}/")
    return written
