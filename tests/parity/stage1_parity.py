"""Helpers of the stage-1 step parity tests: running jwst offline in one process, and the
comparison with the tolerances of issue 6.

Tolerances (issue 6): on pixels that both pipelines call good (no DO_NOT_USE in either),
the relative difference of SCI has a median <= 1e-5 and a 99.9th percentile <= 1e-3; the
DQ arrays are identical on at least 99.9% of the pixels.  Most stage-1 steps of jwcal do
the same arithmetic as jwst in the same order and come out bit-identical; the helpers
report the fraction of identical values so that a change is visible.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np

from jwcal.testing.forkserver import run_python
from jwcal.testing.oracle import offline_environment

SCI_MEDIAN_TOL = 1e-5
SCI_P999_TOL = 1e-3
DQ_MATCH_MIN = 0.999

# Several jwst steps in one fresh process: starting jwst costs seconds each time.
# Each job: [class, input, kwargs, output_dir, patches]; a patch names a jwst step class
# used internally (e.g. by clean_flicker_noise) and the reference overrides to give it,
# since offline jwst cannot ask CRDS for them, or "identity" to make it return its input;
# the patch "refs" (reftype -> path) gives a pipeline's steps every reference type they ask
# for ("N/A" for the others).
_BATCH = r"""
import importlib, json, sys
def _cls(path):
    mod, _, name = path.rpartition(".")
    return getattr(importlib.import_module(mod), name)
for cls, inp, kw, outdir, patches in json.loads(sys.argv[1]):
    refs = patches.pop("refs", None)
    for target, overrides in patches.items():
        klass = _cls(target)
        if overrides == "identity":
            klass.run = lambda self, model, *a, **k: model
            continue
        orig = klass.__init__
        def init(self, *a, _orig=orig, _ov=overrides, **k):
            _orig(self, *a, **k)
            for key, val in _ov.items():
                setattr(self, key, val)
        klass.__init__ = init
    if refs is not None:  # a pipeline: every reference type of its steps overridden
        from jwcal.testing.oracle import pipeline_overrides
        kw["steps"] = pipeline_overrides(cls, refs, kw.get("steps"))
    _cls(cls).call(inp, output_dir=outdir, save_results=True, **kw)
"""


def run_jwst_jobs(jobs, scratch) -> subprocess.CompletedProcess:
    """Run jwst steps or pipelines offline, in one fresh process, saving their products.

    Parameters
    ----------
    jobs : list of (cls, input, kwargs, output_dir) or (..., patches)
        ``cls`` is the full jwst class name; ``kwargs`` its parameters (reference
        overrides included).
    scratch : path
        Directory for the scratch CRDS cache.
    """
    env = dict(os.environ)
    env.update(offline_environment(scratch))
    payload = []
    for job in jobs:
        cls, inp, kw, outdir = job[:4]
        patches = job[4] if len(job) > 4 else {}
        Path(outdir).mkdir(parents=True, exist_ok=True)
        payload.append([cls, str(inp), _jsonable(kw), str(outdir), _jsonable(patches)])
    proc = run_python(_BATCH, [json.dumps(payload)], env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"jwst failed:\n{proc.stderr[-4000:]}")
    return proc


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def good_pixels(dq_a, dq_b, shape):
    """Pixels (broadcast to ``shape``) that neither DQ flags DO_NOT_USE."""
    a = np.broadcast_to((np.asarray(dq_a) & 1) == 0, shape)
    b = np.broadcast_to((np.asarray(dq_b) & 1) == 0, shape)
    return a & b


def sci_stats(ours, theirs, good=None) -> dict:
    """Relative differences of two SCI arrays on the good pixels."""
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(theirs, dtype=np.float64)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    sel = np.isfinite(a) & np.isfinite(b)
    if good is not None:
        sel &= good
    nan_mismatch = int(np.count_nonzero(np.isnan(a) != np.isnan(b)))
    if not sel.any():
        return {"n": 0, "median": 0.0, "p999": 0.0, "identical": 1.0, "nan_mismatch": nan_mismatch}
    rel = np.abs(a[sel] - b[sel]) / np.maximum(np.abs(b[sel]), 1e-30)
    rel[(a[sel] == b[sel])] = 0.0
    return {
        "n": int(sel.sum()),
        "median": float(np.median(rel)),
        "p999": float(np.percentile(rel, 99.9)),
        "identical": float(np.mean(a[sel] == b[sel])),
        "nan_mismatch": nan_mismatch,
    }


def assert_sci_parity(
    ours,
    theirs,
    good=None,
    *,
    name="SCI",
    median=SCI_MEDIAN_TOL,
    p999=SCI_P999_TOL,
    nan_fraction=1e-3,
):
    """Issue-6 tolerance on SCI (or any float array); returns the statistics."""
    st = sci_stats(ours, theirs, good)
    msg = f"{name}: {st}"
    assert st["median"] <= median, msg
    assert st["p999"] <= p999, msg
    assert st["nan_mismatch"] <= nan_fraction * np.size(ours), msg
    return st


def assert_dq_parity(ours, theirs, *, name="DQ", min_match=DQ_MATCH_MIN):
    """DQ identical on at least ``min_match`` of the values; returns the fraction."""
    a, b = np.asarray(ours), np.asarray(theirs)
    assert a.shape == b.shape, f"{name}: shapes differ: {a.shape} vs {b.shape}"
    frac = float(np.mean(a == b)) if a.size else 1.0
    assert frac >= min_match, f"{name}: identical on only {frac:.5%}"
    return frac


def assert_ramp_parity(ours, theirs, *, zeroframe=True):
    """SCI, PIXELDQ, GROUPDQ (and ZEROFRAME) of two RampModels within tolerance."""
    good = good_pixels(ours.pixeldq, theirs.pixeldq, ours.data.shape)
    good &= ((ours.groupdq & 1) == 0) & ((theirs.groupdq & 1) == 0)
    st = assert_sci_parity(ours.data, theirs.data, good)
    assert_dq_parity(ours.pixeldq, theirs.pixeldq, name="PIXELDQ")
    assert_dq_parity(ours.groupdq, theirs.groupdq, name="GROUPDQ")
    if zeroframe and theirs.meta.exposure.zero_frame:
        assert_sci_parity(ours.zeroframe, theirs.zeroframe, name="ZEROFRAME")
    return st
