"""Simulated exposures calibrated by the official pipeline (jwst 3.0.0 calwebb_detector1,
offline, every reference file from the simulator) give back the simulator's truth rate.

Statistic, per flux bin (bins: the 0-50-90-98-100 percentiles of the true rate over good
pixels): z = (rate - truth) / ERR over pixels that jwst leaves unflagged (DQ == 0) and that
the simulator made neither bad nor reference pixels.  The median of z must lie within +-0.1
(no bias at a tenth of the noise; plus 2.5 times the median's own sampling error, which
matters for the few hundred pixels of the brightest bin) and the robust standard deviation
(IQR / 1.349) within
0.9..1.15 (jwst's ERR describes the scatter: read noise, Poisson noise and what the
reference-pixel correction leaves of the readout drifts).

The NIRSpec IRS2 full frame goes through jwcal's calwebb_detector1 instead: jwst's IRS2
reference-pixel correction alone takes minutes on it, and test_detector1_pipeline.py holds
jwcal's IRS2 rates to jwst's on the same kind of exposure.
"""

import subprocess

import numpy as np
import pytest

pytest.importorskip("jwst")

from astropy.io import fits  # noqa: E402

from jwcal.simulate import simulate_exposure  # noqa: E402
from jwcal.testing.oracle import run_jwst  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]

# Parameters that matter, passed explicitly (offline jwst runs with code defaults).
STEPS = {
    "saturation": {"n_pix_grow_sat": 1},
    "jump": {"rejection_threshold": 4.0, "flag_4_neighbors": True},
    "ramp_fit": {"algorithm": "OLS_C"},
}


def _z_by_bin(rate_file, sim):
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
        sel = (t >= lo) & (t <= hi)
        zz = z[sel]
        q25, q75 = np.percentile(zz, [25, 75])
        out.append((lo, hi, sel.sum(), float(np.median(zz)), float((q75 - q25) / 1.349)))
    return out


def _check(stats):
    lines = "\n".join(
        f"  {lo:10.3f}-{hi:10.3f} DN/s  n={n:7d}  median z={m:+.3f}  robust std={s:.3f}"
        for lo, hi, n, m, s in stats
    )
    for _, _, n, med, std in stats:
        assert n >= 200, lines
        # 0.1 plus 2.5 times the sampling error of a median of n normal values.
        assert abs(med) <= 0.1 + 2.5 * 1.2533 / np.sqrt(n), lines
        assert 0.9 <= std <= 1.15, lines


def _run(tmp_path, *, oracle=True, **kw):
    sim = simulate_exposure(tmp_path / "sim", **kw)
    out = tmp_path / "jwst"
    refs = sim.refs_by_type()
    if oracle:
        try:
            run_jwst("jwst.pipeline.Detector1Pipeline", sim.uncal, refs, out, steps=STEPS)
        except subprocess.CalledProcessError as exc:
            pytest.fail(f"jwst failed:\n{exc.stderr[-3000:]}")
    else:
        from jwcal.pipelines import Detector1Pipeline

        steps = {name: dict(STEPS.get(name, {})) for name in Detector1Pipeline.step_defs}
        for name, cls in Detector1Pipeline.step_defs.items():
            for rt in cls.reference_file_types:
                steps[name][f"override_{rt}"] = refs.get(rt, "N/A")
        Detector1Pipeline.call(str(sim.uncal), steps=steps, output_dir=str(out), save_results=True)
    rate = out / sim.uncal.name.replace("_uncal", "_rate")
    assert rate.exists()
    return sim, rate


def test_nircam_sub320_rate_matches_truth(tmp_path):
    sim, rate = _run(
        tmp_path,
        instrument="nircam",
        detector="nrca1",
        subarray="SUB320",
        readpatt="BRIGHT2",
        ngroups=8,
        nints=1,
        seed=11,
    )
    _check(_z_by_bin(rate, sim))


def test_nircam_long_wave_medium8_two_integrations(tmp_path):
    sim, rate = _run(
        tmp_path,
        instrument="nircam",
        detector="nrcblong",
        subarray="SUB160",
        readpatt="MEDIUM8",
        ngroups=5,
        nints=2,
        seed=12,
        zeroframe=True,
    )
    _check(_z_by_bin(rate, sim))


def test_niriss_sub256_nis_rate_matches_truth(tmp_path):
    sim, rate = _run(
        tmp_path,
        instrument="niriss",
        subarray="SUB256",
        readpatt="NIS",
        ngroups=6,
        nints=1,
        seed=13,
    )
    _check(_z_by_bin(rate, sim))


def test_fgs_sub128_rate_matches_truth(tmp_path):
    # SUB128LL sits at the corner: a subarray with no reference pixels (SUB128CNTR) keeps
    # its amplifier drifts, as in flight, and is biased by ~0.2 sigma.
    sim, rate = _run(
        tmp_path,
        instrument="fgs",
        detector="guider2",
        subarray="SUB128LL",
        readpatt="FGSRAPID",
        ngroups=10,
        nints=2,
        seed=14,
        star_density=1e-3,
    )
    _check(_z_by_bin(rate, sim))


def test_miri_sub256_rate_matches_truth(tmp_path):
    sim, rate = _run(
        tmp_path,
        instrument="miri",
        subarray="SUB256",
        readpatt="FAST",
        ngroups=12,
        nints=2,
        seed=15,
    )
    _check(_z_by_bin(rate, sim))


def test_nirspec_irs2_rate_matches_truth(tmp_path):
    # IRS2 is full frame only (3200 x 2048 raw): calibrated by jwcal (see the module notes).
    sim, rate = _run(
        tmp_path,
        oracle=False,
        instrument="nirspec",
        detector="nrs1",
        readpatt="NRSIRS2RAPID",
        ngroups=5,
        nints=1,
        seed=16,
    )
    with fits.open(rate) as hd:
        assert hd["SCI"].data.shape == (2048, 2048)
        assert hd[0].header["S_REFPIX"] == "COMPLETE"
    _check(_z_by_bin(rate, sim))
