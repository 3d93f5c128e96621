"""Shared by the detector1 parity tests: running jwst steps in one fresh process, and the
comparisons of rate products with the tolerances of issue 6."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
from astropy.io import fits

from jwcal.dqflags import pixel as PIXEL
from jwcal.testing.forkserver import run_python
from jwcal.testing.oracle import offline_environment

# Several jwst steps in one process: importing jwst costs seconds each time.
_BATCH = r"""
import importlib, json, sys
for job in json.loads(sys.argv[1]):
    mod, _, name = job["cls"].rpartition(".")
    klass = getattr(importlib.import_module(mod), name)
    kw = dict(job["params"])
    for rt in klass.reference_file_types:
        kw.setdefault(f"override_{rt}", job["refs"].get(rt, "N/A"))
    res = klass.call(job["input"], **kw)
    outs = res if isinstance(res, tuple) else (res,)
    for model, path in zip(outs, job["outputs"]):
        model.save(path)
"""


def run_jwst_steps(jobs, scratch) -> None:
    """Run jwst steps: each job is (class, input, refs, params, [output paths])."""
    env = dict(os.environ)
    env.update(offline_environment(scratch))
    payload = json.dumps(
        [
            {
                "cls": cls,
                "input": str(inp),
                "refs": {k: str(v) for k, v in refs.items()},
                "params": params,
                "outputs": [str(o) for o in outs],
            }
            for cls, inp, refs, params, outs in jobs
        ]
    )
    try:
        run_python(_BATCH, [payload], env=env, check=True, timeout=1800)
    except subprocess.CalledProcessError as exc:
        raise AssertionError(f"jwst failed:\n{exc.stderr[-4000:]}") from None


def read(path, ext):
    with fits.open(path) as hd:
        return hd[ext].data.copy()


def header(path, key, ext=0):
    with fits.open(path) as hd:
        return hd[ext].header.get(key)


#: Rate parity tolerances of issue 6.
SCI_MEDIAN_REL = 1e-5
SCI_P999_REL = 1e-3
VAR_REL = 1e-4
DQ_IDENTICAL = 0.999


def rel_diff(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return np.abs(a - b) / np.maximum(np.abs(b), 1e-30)


def compare_rates(ours, theirs, *, p999=SCI_P999_REL, var=VAR_REL, dq=DQ_IDENTICAL) -> dict:
    """Compare two rate (or rateints) files as issue 6 asks; returns the figures.

    SCI within a relative ``SCI_MEDIAN_REL`` (median) and ``p999`` (99.9th percentile) on
    pixels both call good (no DO_NOT_USE, finite); ERR and the variances within ``var``
    (99.9th percentile, relative; exact zeros must agree); DQ identical on a fraction
    ``dq`` of the pixels.
    """
    out = {}
    d_ours, d_theirs = read(ours, "DQ"), read(theirs, "DQ")
    out["dq_identical"] = float(np.mean(d_ours == d_theirs))
    a, b = read(ours, "SCI"), read(theirs, "SCI")
    dnu = PIXEL["DO_NOT_USE"]
    good = ((d_ours & dnu) == 0) & ((d_theirs & dnu) == 0) & np.isfinite(a) & np.isfinite(b)
    out["n_good"] = int(good.sum())
    r = rel_diff(a[good], b[good])
    out["sci_median"], out["sci_p999"] = float(np.median(r)), float(np.percentile(r, 99.9))
    for ext in ("ERR", "VAR_POISSON", "VAR_RNOISE"):
        x, y = read(ours, ext)[good], read(theirs, ext)[good]
        out[ext.lower()] = float(np.percentile(rel_diff(x, y), 99.9))
    msg = f"{Path(ours).name}: {out}"
    assert out["n_good"] > 0.5 * a.size, msg
    assert out["dq_identical"] >= dq, msg
    assert out["sci_median"] <= SCI_MEDIAN_REL, msg
    assert out["sci_p999"] <= p999, msg
    for ext in ("err", "var_poisson", "var_rnoise"):
        assert out[ext] <= var, msg
    return out


def truth_z_by_bin(rate_file, sim) -> list[tuple]:
    """(lo, hi, n, median z, robust std of z) per bin of true rate, z = (rate - truth) / ERR
    over pixels the pipeline leaves unflagged and the simulator made neither bad nor
    reference pixels; bins at the 0-50-90-98-100th percentiles of the true rate."""
    with fits.open(rate_file) as hd:
        rate = hd["SCI"].data.astype(float)
        err = hd["ERR"].data.astype(float)
        dq = hd["DQ"].data
    truth = fits.getdata(sim.truth_rate, "SCI").astype(float)
    masks = fits.getdata(sim.truth_masks, "DQ")
    good = (dq == 0) & (masks == 0) & np.isfinite(rate) & (err > 0)
    assert good.mean() > 0.9, f"only {good.mean():.1%} of the pixels are usable"
    z = ((rate - truth) / err)[good]
    t = truth[good]
    edges = np.quantile(t, [0.0, 0.5, 0.9, 0.98, 1.0])
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        zz = z[(t >= lo) & (t <= hi)]
        q25, q75 = np.percentile(zz, [25, 75])
        out.append((lo, hi, zz.size, float(np.median(zz)), float((q75 - q25) / 1.349)))
    return out


def check_truth_stats(stats) -> None:
    """No bias at a tenth of the noise (plus 2.5 times the sampling error of the median)
    and a robust spread of z within 0.9..1.15 in every bin."""
    lines = "\n".join(
        f"  {lo:10.3f}-{hi:10.3f} DN/s  n={n:7d}  median z={m:+.3f}  robust std={s:.3f}"
        for lo, hi, n, m, s in stats
    )
    for _, _, n, med, std in stats:
        assert n >= 200, lines
        assert abs(med) <= 0.1 + 2.5 * 1.2533 / np.sqrt(n), lines
        assert 0.9 <= std <= 1.15, lines
