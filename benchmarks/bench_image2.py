"""Benchmark: calwebb_image2 and the resample step, jwcal against jwst 3.0.0, in one run.

Input: a simulated NIRCam NRCA1 full-frame ``_rate`` (F150W, 10 groups of BRIGHT2) with the
simulator's FLAT, PHOTOM, AREA, DISTORTION and FILTEROFFSET references; made once in the
work directory (``--workdir``, about a minute).

Cases, each run in a fresh process (so that its peak RSS is its own), median of 3:

- ``image2``: ``Image2Pipeline.call(rate, save_results=True)`` writing ``_cal`` and ``_i2d``;
  the process's wall time from start to exit (imports included: both load asdf's extension
  registry, seconds of it), the pipeline's own wall and CPU time, and the peak RSS.
- ``image2-warm``: the same in a process that has already loaded asdf's extension registry
  (2 s of CPU per process, which jwcal needs to read the DISTORTION reference and to write
  the gwcs), i.e. what each further exposure of an association costs.
- ``resample``: ``ResampleStep.call(cal)`` on jwst's ``_cal`` already in memory (WCS
  decoded), pixel map included, nothing written: wall and CPU seconds, peak RSS.

jwcal runs with 1 thread (as jwst) and, for reference, with 2.  Offline jwst runs with its
code defaults; jwcal's only different default is the pixel-map step (32 pixels, cubic).
Usage: ``python benchmarks/bench_image2.py [--workdir DIR] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
STEM = "jw01234001001_01101_00001_nrca1"


def _refs(work: Path) -> dict:
    from jwcal.testing.oracle import refs_by_type

    return refs_by_type(work / "sim" / "refs")


def prepare(work: Path) -> None:
    """Simulate the input and make jwst's ``_cal`` for the resample case (once)."""
    rate = work / "sim" / f"{STEM}_rate.fits"
    if not rate.exists():
        from jwcal.simulate import simulate_rate

        print("simulating a NIRCam full-frame rate ...", flush=True)
        simulate_rate(work / "sim", "nircam", "nrca1", "FULL", seed=4, filter="F150W")
    cal = work / "cal" / f"{STEM}_cal.fits"
    if not cal.exists():
        from jwcal.testing.oracle import run_jwst

        print("making jwst's _cal ...", flush=True)
        run_jwst("jwst.pipeline.Image2Pipeline", rate, _refs(work), work / "cal",
                 steps={"resample": {"skip": True}}, scratch=work / "crds")  # fmt: skip


def child(which: str, case: str, threads: int, work: Path) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    import logging

    logging.disable(logging.INFO)
    refs = _refs(work)
    out = work / f"out_{which}_{case}_{threads}"
    out.mkdir(exist_ok=True)
    if which == "jwst":
        from jwcal.testing.oracle import offline_environment, pipeline_overrides

        os.environ.update(offline_environment(work / "crds"))
        if case.startswith("image2"):
            from jwst.pipeline import Image2Pipeline as Pipe

            steps = pipeline_overrides("jwst.pipeline.Image2Pipeline", refs)
        else:
            from jwst.resample import ResampleStep as Pipe
            from stdatamodels.jwst import datamodels as dm
    else:
        from jwcal.stpipe import set_threads

        set_threads(threads)
        if case.startswith("image2"):
            from jwcal.pipelines import Image2Pipeline as Pipe

            steps = {
                "assign_wcs": {"override_distortion": refs["distortion"],
                               "override_filteroffset": refs["filteroffset"]},
                "flat_field": {"override_flat": refs["flat"]},
                "photom": {"override_photom": refs["photom"], "override_area": refs["area"]},
                "resample": {"maximum_cores": str(threads)},
            }  # fmt: skip
        else:
            from jwcal import datamodels as dm
            from jwcal.steps.resample import ResampleStep as Pipe
    if case.startswith("image2"):
        if case == "image2-warm":
            # what every further exposure of an association costs: asdf's extension
            # registry (read once per process, to decode and encode gwcs) already loaded
            import asdf
            import gwcs  # noqa: F401

            _ = asdf.get_config().extensions
        rate = str(work / "sim" / f"{STEM}_rate.fits")
        t, c = time.perf_counter(), time.process_time()
        Pipe.call(rate, steps=steps, output_dir=str(out), save_results=True)
    else:
        model = dm.open(str(work / "cal" / f"{STEM}_cal.fits"))
        _ = model.meta.wcs.forward_transform  # decode the WCS before timing
        _ = model.data, model.err, model.var_rnoise, model.var_poisson, model.var_flat
        kw = {} if which == "jwst" else {"maximum_cores": str(threads)}
        t, c = time.perf_counter(), time.process_time()
        Pipe.call(model, **kw)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"wall": wall, "cpu": cpu, "rss": ru.ru_maxrss / 1024.0,
            "pcpu": ru.ru_utime + ru.ru_stime}  # fmt: skip


def measure(which, case, threads, work, repeat):
    rows = []
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, str(HERE), "--child", which, case, str(threads), "--workdir",
             str(work)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        res["process"] = time.perf_counter() - t
        rows.append(res)
    med = {k: statistics.median(r[k] for r in rows) for k in ("process", "pcpu", "wall", "cpu")}
    med["rss"] = max(r["rss"] for r in rows)
    return med


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default="/tmp/jwcal_bench_image2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=3, metavar=("WHICH", "CASE", "THREADS"))
    args = ap.parse_args()
    work = Path(args.workdir)
    if args.child:
        which, case, threads = args.child
        print(json.dumps(child(which, case, int(threads), work)))
        return
    work.mkdir(parents=True, exist_ok=True)
    prepare(work)
    load = os.getloadavg()[0]
    print(f"calwebb_image2 benchmark: NIRCam full frame, median of {args.repeat}, load average "
          f"at start {load:.2f} on {os.cpu_count()} cores")  # fmt: skip
    print("seconds: whole process (start to exit) wall and CPU, in-call wall and CPU; "
          "peak RSS MiB")  # fmt: skip
    print(f"{'case':<9} {'':<11} {'proc wall':>9} {'proc CPU':>8} {'wall':>7} {'CPU':>7} "
          f"{'RSS':>6}   ratios (jwst / jwcal)")  # fmt: skip
    for case in ("image2", "image2-warm", "resample"):
        ref = measure("jwst", case, 1, work, args.repeat)
        print(f"{case:<9} jwst        {ref['process']:9.2f} {ref['pcpu']:8.2f} {ref['wall']:7.2f} "
              f"{ref['cpu']:7.2f} {ref['rss']:6.0f}")  # fmt: skip
        for threads in (1, 2):
            r = measure("jwcal", case, threads, work, args.repeat)
            print(
                f"{case:<9} jwcal {threads} thr {r['process']:9.2f} {r['pcpu']:8.2f} "
                f"{r['wall']:7.2f} {r['cpu']:7.2f} {r['rss']:6.0f}   process wall "
                f"{ref['process'] / r['process']:4.1f}, process CPU {ref['pcpu'] / r['pcpu']:4.1f}, "
                f"in-call wall {ref['wall'] / r['wall']:4.1f}, in-call CPU "
                f"{ref['cpu'] / r['cpu']:4.1f}, memory {r['rss'] / ref['rss']:4.2f}"
            )


if __name__ == "__main__":
    main()
