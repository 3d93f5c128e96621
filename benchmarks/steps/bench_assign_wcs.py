"""Benchmark: jwcal's assign_wcs against jwst 3.0.0's AssignWcsStep, in the same run.

Input: a simulated NIRCam NRCA1 ``_rate`` (full frame, F150W, flight SIAF distortion when
pysiaf is installed) and its DISTORTION and FILTEROFFSET references; jwst runs offline
with every other reference N/A.  For each pipeline, in a fresh process:

- ``cold``: import, open the file, run the step, save the product (what one
  ``strun``/``python -m jwcal`` call costs, less interpreter start-up);
- ``warm``: median of 3 further runs of the step on the opened model (what each exposure of
  a pipeline costs), and the SIP fit alone;
- peak RSS of the process (VmHWM).

Usage: ``python benchmarks/steps/bench_assign_wcs.py [--subarray SUB320]``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, os, resource, statistics, sys, time, warnings
warnings.simplefilter("ignore")
args = json.loads(sys.argv[1])
t0 = time.perf_counter()
if args["who"] == "jwst":
    from jwst.assign_wcs import AssignWcsStep
    from stdatamodels.jwst import datamodels
    kw = {f"override_{t}": "N/A" for t in AssignWcsStep.reference_file_types}
else:
    from jwcal.steps.assign_wcs import AssignWcsStep
    from jwcal import datamodels
    kw = {}
kw.update(args["refs"])
t_import = time.perf_counter() - t0
model = datamodels.open(args["rate"])
step = AssignWcsStep(**kw)
out = step.run(model)
out.save(os.path.join(args["out"], args["who"] + "_assign_wcs.fits"))
cold = time.perf_counter() - t0
warm = []
for _ in range(3):
    t = time.perf_counter()
    step.run(model)
    warm.append(time.perf_counter() - t)
wcs = out.meta.wcs
if args["who"] == "jwst":
    from jwst.assign_wcs.util import update_fits_wcsinfo
    def sip():
        update_fits_wcsinfo(out, max_pix_error=0.01, degree=None, max_inv_pix_error=0.01,
                            inv_degree=None, npoints=12, crpix=None)
else:
    from jwcal.steps.assign_wcs.sip import fit_sip
    bbox = wcs.bounding_box.bounding_box(order="F")
    crpix = (model.meta.wcsinfo.crpix1, model.meta.wcsinfo.crpix2)
    def sip():
        fit_sip(wcs.forward_transform, bbox, crpix=crpix)
sips = []
for _ in range(3):
    t = time.perf_counter()
    sip()
    sips.append(time.perf_counter() - t)
# VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")]
if hwm:
    rss = float(hwm[0].split()[1]) / 1024
else:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"import": t_import, "cold": cold, "warm": statistics.median(warm),
                  "sip": statistics.median(sips), "rss_mb": rss}))
"""


def _child(who, rate, refs, out):
    env = dict(os.environ)
    if who == "jwst":
        from jwcal.testing.oracle import offline_environment

        env.update(offline_environment(Path(out) / "crds"))
    payload = json.dumps({"who": who, "rate": str(rate), "refs": refs, "out": str(out)})
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, payload], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--subarray", default="FULL")
    p.add_argument("--detector", default="nrca1")
    args = p.parse_args(argv)
    from jwcal.simulate import simulate_rate

    with tempfile.TemporaryDirectory() as tmp:
        sim = simulate_rate(tmp, "nircam", args.detector, args.subarray, seed=1)
        refs = {
            f"override_{k}": str(v)
            for k, v in sim.refs.items()
            if k in ("distortion", "filteroffset")
        }
        rows = {who: _child(who, sim.rate, refs, tmp) for who in ("jwst", "jwcal")}
    print(
        f"assign_wcs, NIRCam {args.detector.upper()} {args.subarray} "
        f"(geometry: {sim.wcs.aperture.source})"
    )
    print(f"{'':8s} {'import s':>9s} {'cold s':>8s} {'warm s':>8s} {'SIP s':>8s} {'peak MB':>8s}")
    for who, r in rows.items():
        print(
            f"{who:8s} {r['import']:9.2f} {r['cold']:8.2f} {r['warm']:8.3f} {r['sip']:8.3f} "
            f"{r['rss_mb']:8.0f}"
        )
    j, o = rows["jwst"], rows["jwcal"]
    print(
        f"{'ratio':8s} {j['import'] / o['import']:9.1f} {j['cold'] / o['cold']:8.1f} "
        f"{j['warm'] / o['warm']:8.1f} {j['sip'] / o['sip']:8.1f} "
        f"{j['rss_mb'] / o['rss_mb']:8.1f}"
    )


if __name__ == "__main__":
    main()
