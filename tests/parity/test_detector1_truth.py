"""calwebb_detector1 against the simulator's truth, on a NIRCam full frame.

A 2048x2048 NRCA1 exposure (BRIGHT2, 10 groups: the benchmark's) through jwcal's pipeline
with its defaults; the truth is the count rate the simulator injected (``truth_rate``) and
the charge of every cosmic-ray hit (``truth_jumps``).  A full frame is needed for the
statistics: the faintest flux bin holds two million pixels, whose mean bias is then known
to 8e-5.

Statistics over pixels the pipeline leaves unflagged and the simulator made neither bad
nor reference pixels, in bins of true rate (0-50-90-98-100th percentiles):

- bias: (sum of rates - sum of true rates) / sum of true rates, under 0.1% plus 2.5 times
  its own sampling error (the faint bins are biased up by ~0.1% by the charge of cosmic
  rays too small to be detected: it is in the data);
- z = (rate - truth) / ERR: robust spread (IQR / 1.349) within 0.95..1.06 plus 2.5 times
  its sampling error (the faintest bin is at ~1.05: read-noise drifts that the side
  reference pixels leave are in the data but in neither pipeline's ERR);
- cosmic rays of more than 1000 electrons in a pixel (differences of groups, so hits before
  the first group do not count; pixels already saturated neither): at least 99.7% have
  their group flagged JUMP_DET (or SATURATED / DO_NOT_USE: the group is not used);
- false flags: JUMP_DET groups with no hit in their pixel or its 8 neighbours in that group
  or the one before (frame-averaged groups split a hit between two differences) are the
  noise's; fewer than 0.03% of the groups.

jwcal's jump flags are jwst's, bit for bit (test_detector1_pipeline.py), so its false
flags are exactly as many as jwst's: "fewer than jwst at the same completeness" would need
flags that differ from jwst's, which parity rules out.  These are the same numbers jwst
gets on this exposure.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from jwcal.dqflags import group as GROUP
from jwcal.simulate import simulate_exposure
from jwcal.simulate.truth import read_jumps

pytestmark = [pytest.mark.parity, pytest.mark.slow]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from jwcal.pipelines.detector1 import Detector1Pipeline

    root = tmp_path_factory.mktemp("detector1_truth")
    sim = simulate_exposure(
        root / "sim", "nircam", "nrca1", readpatt="BRIGHT2", ngroups=10, nints=1, seed=100
    )
    refs = sim.refs_by_type()
    steps = {}
    for name, cls in Detector1Pipeline.step_defs.items():
        for rt in cls.reference_file_types:
            steps.setdefault(name, {})[f"override_{rt}"] = refs.get(rt, "N/A")
    out = root / "out"
    Detector1Pipeline.call(
        str(sim.uncal), steps=steps, output_dir=str(out), save_results=True,
        save_calibrated_ramp=True,
    )  # fmt: skip
    stem = sim.uncal.name.replace("_uncal.fits", "")
    return sim, out / f"{stem}_rate.fits", out / f"{stem}_ramp.fits"


def _bins(run):
    sim, rate_file, _ = run
    with fits.open(rate_file) as hd:
        rate = hd["SCI"].data.astype(float)
        err = hd["ERR"].data.astype(float)
        dq = hd["DQ"].data
    truth = fits.getdata(sim.truth_rate, "SCI").astype(float)
    masks = fits.getdata(sim.truth_masks, "DQ")
    good = (dq == 0) & (masks == 0) & np.isfinite(rate) & (err > 0)
    assert good.mean() > 0.9
    t, r, e = truth[good], rate[good], err[good]
    edges = np.quantile(t, [0.0, 0.5, 0.9, 0.98, 1.0])
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        s = (t >= lo) & (t <= hi)
        yield lo, hi, t[s], r[s], e[s]


def test_rates_are_unbiased_in_every_flux_bin(run):
    lines = []
    for lo, hi, t, r, _ in _bins(run):
        bias = (r.sum() - t.sum()) / t.sum()
        se = np.std(r - t) / np.sqrt(t.size) / t.mean()
        lines.append(f"{lo:8.3f}-{hi:8.3f} DN/s n={t.size:8d} bias={bias:+.2e} (se {se:.1e})")
        assert abs(bias) <= 1e-3 + 2.5 * se, "\n".join(lines)


def test_errors_describe_the_scatter(run):
    lines = []
    for lo, hi, t, r, e in _bins(run):
        z = (r - t) / e
        q25, q75 = np.percentile(z, [25, 75])
        spread = (q75 - q25) / 1.349
        se = 1.166 / np.sqrt(z.size)  # of the IQR-based spread of normal values
        lines.append(f"{lo:8.3f}-{hi:8.3f} DN/s n={z.size:8d} robust spread={spread:.4f}")
        assert 0.95 - 2.5 * se <= spread <= 1.06 + 2.5 * se, "\n".join(lines)
        assert abs(np.median(z)) < 0.05, "\n".join(lines)


def test_cosmic_rays_are_flagged_and_noise_rarely(run):
    sim, _, ramp_file = run
    with fits.open(ramp_file) as hd:
        gdq = hd["GROUPDQ"].data
        pdq = hd["PIXELDQ"].data
    gain = fits.getdata(sim.refs["gain"], "SCI")
    masks = fits.getdata(sim.truth_masks, "DQ")
    hits = read_jumps(sim.truth_jumps)
    charge = np.zeros(gdq.shape, np.float32)
    np.add.at(charge, (hits["integration"], hits["group"], hits["y"], hits["x"]), hits["amplitude"])
    jump, sat, dnu = GROUP["JUMP_DET"], GROUP["SATURATED"], GROUP["DO_NOT_USE"]
    usable = (masks == 0) & ((pdq & (dnu | (1 << 31))) == 0)
    before = np.zeros(gdq.shape, bool)
    before[:, 1:] = (gdq[:, :-1] & (sat | dnu)) != 0
    big = (charge * gain > 1000.0) & usable & ~before
    big[:, 0] = False
    flagged = (gdq & (jump | sat | dnu)) != 0
    completeness = (big & flagged).sum() / big.sum()
    assert big.sum() > 10000
    assert completeness >= 0.997, completeness

    hit = charge > 0
    near = hit.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near |= np.roll(hit, (dy, dx), axis=(2, 3))
    near[:, 1:] |= near[:, :-1].copy()
    false = ((gdq & jump) != 0) & ~near
    assert false.mean() < 3e-4, (false.sum(), false.mean())
