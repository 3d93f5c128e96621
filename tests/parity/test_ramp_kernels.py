"""jwcore.ramp against stcal 1.20.0's ramp fitting (OLS_C and LIKELY) on the same arrays.

Tolerances (issue 5): OLS rate, rateints, VAR_POISSON, VAR_RNOISE and ERR within a
relative 1e-5 of stcal on pixels both call good, DQ identical; LIKELY within 1e-4.  In
practice OLS agrees to an ulp of float32 (flagged ramps follow stcal's expressions in
stcal's order, unflagged ones take fewer operations to the same values, see ols_clean.c;
with bitwise=True they too follow stcal's order and agree to the bit) and LIKELY to the last bit or two of float32 (the kernel solves the same equations in
another way: LDL^T factorisation and Schur complements, see likely_fit.c); the LIKELY rate
of several integrations differs by ~1e-7 because stcal combines integrations in float32
and we do it in float64.  Left out of the LIKELY comparisons: ramps where stcal's jump test
is switched off by a NaN (stcal_jump_test_disabled) and ramps with two usable differences
(two_difference_ramps), where which one is the jump is decided by rounding.
"""

import numpy as np
import pytest

stcal_ramp_fit = pytest.importorskip("stcal.ramp_fitting.ramp_fit")
from stcal.ramp_fitting.ramp_fit_class import RampData  # noqa: E402

from jwcore import dqflags  # noqa: E402
from jwcore.ramp import fit_ramps_likely, fit_ramps_ols  # noqa: E402

pytestmark = pytest.mark.parity

DNU, SAT, JUMP, PERS, CL = 1, 2, 4, 32, 128
KEYS = ("slope", "var_poisson", "var_rnoise", "err")


def _ramp_data(data, gdq, pdq, dark, zf, nframes, groupgap, drop, ft, gt, algorithm, suppress):
    rd = RampData()
    orig = gdq.copy() if algorithm == "OLS_C" and np.any(gdq & CL) else None
    dark = np.zeros(pdq.shape, np.float32) if dark is None else dark.copy()
    rd.set_arrays(data.copy(), gdq.copy(), pdq.copy(), dark, orig_gdq=orig, zeroframe=zf)
    rd.set_meta(
        name="NIRCAM", frame_time=ft, group_time=gt, groupgap=groupgap, nframes=nframes,
        drop_frames1=drop,
    )  # fmt: skip
    rd.algorithm = algorithm
    rd.set_dqflags(dqflags.pixel)
    rd.start_row, rd.num_rows = 0, data.shape[2]
    # ramp_fit() turns suppression off for one-group exposures before building RampData
    rd.suppress_one_group_ramps = suppress and data.shape[1] > 1
    return rd


def stcal_fit(c, algorithm="OLS_C", save_opt=False):
    rd = _ramp_data(
        c["data"], c["groupdq"], c["pixeldq"], c.get("dark"), c.get("zeroframe"),
        c.get("nframes", 1), c.get("groupgap", 0), c.get("dropframes1", 0), c["frame_time"],
        c["group_time"], algorithm, c.get("suppress", False),
    )  # fmt: skip
    return stcal_ramp_fit.ramp_fit_data(
        rd, save_opt, c["readnoise"].copy(), c["gain"].copy(), algorithm, "optimal", "none"
    )


def ours_ols(c, save_opt=False, n_threads=2, bitwise=False):
    return fit_ramps_ols(
        c["data"], c["groupdq"], c["pixeldq"], c["readnoise"], c["gain"],
        frame_time=c["frame_time"], group_time=c["group_time"], nframes=c.get("nframes", 1),
        groupgap=c.get("groupgap", 0), dropframes1=c.get("dropframes1", 0),
        zeroframe=c.get("zeroframe"), average_dark_current=c.get("dark"),
        suppress_one_group=c.get("suppress", False), save_opt=save_opt, n_threads=n_threads,
        bitwise=bitwise,
    )  # fmt: skip


def ours_likely(c, n_threads=2):
    return fit_ramps_likely(
        c["data"], c["groupdq"], c["pixeldq"], c["readnoise"], c["gain"],
        frame_time=c["frame_time"], nframes=c.get("nframes", 1), groupgap=c.get("groupgap", 0),
        zeroframe=c.get("zeroframe"), average_dark_current=c.get("dark"), n_threads=n_threads,
        save_chisq=True,
    )  # fmt: skip


def assert_products(ours, ref, rtol):
    np.testing.assert_array_equal(ours.dq, ref["dq"])
    for key in KEYS:
        a, b = getattr(ours, key), ref[key]
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=key)
        good = ~np.isnan(a)
        np.testing.assert_allclose(a[good], b[good], rtol=rtol, atol=0, err_msg=key)


def make_case(seed, nints, ngroups, ny=64, nx=64, nframes=1, groupgap=0, jumps=True):
    rng = np.random.default_rng(seed)
    ft = 10.737 / (nframes + groupgap) if nframes > 1 else 10.737
    gt = ft * (nframes + groupgap)
    rate = rng.gamma(1.0, 15.0, (ny, nx))
    rate[::9, ::7] *= 300  # bright pixels that saturate
    gain = rng.uniform(1.6, 2.4, (ny, nx)).astype(np.float32)
    rn = rng.uniform(8, 14, (ny, nx)).astype(np.float32)
    e = rng.poisson((rate * gain)[None, None] * gt, (nints, ngroups, ny, nx)).cumsum(axis=1)
    data = 1000 + e / gain + rng.normal(0, 1, e.shape) * rn / np.sqrt(2 * nframes)
    data = data.astype(np.float32)
    gdq = np.zeros(data.shape, np.uint8)
    if jumps:
        cr = rng.random(data.shape) < 0.02
        cr[:, 0] = False
        data += np.cumsum(cr * rng.uniform(100, 4000, data.shape), axis=1).astype(np.float32)
        gdq[cr] |= JUMP
    gdq[np.maximum.accumulate(data > 45000, axis=1)] |= SAT
    pdq = np.zeros((ny, nx), np.uint32)
    pdq[5, 5] = DNU
    pdq[6, 6] = 2**11  # HOT: propagated
    gain[7, 7] = 0.0
    gain[8, 8] = np.nan
    gdq[0, :, 9, 9] = DNU
    gdq[0, 0, 10, 10] |= SAT
    gdq[0, min(2, ngroups - 1), 11, 11] |= PERS
    return {
        "data": data, "groupdq": gdq, "pixeldq": pdq, "readnoise": rn, "gain": gain,
        "frame_time": ft, "group_time": gt, "nframes": nframes, "groupgap": groupgap,
    }  # fmt: skip


OLS_CASES = {
    "1x10": {"seed": 1, "nints": 1, "ngroups": 10},
    "3x5": {"seed": 2, "nints": 3, "ngroups": 5},
    "2x2": {"seed": 3, "nints": 2, "ngroups": 2},
    "2x1": {"seed": 4, "nints": 2, "ngroups": 1},
    "frames4_gap1": {"seed": 5, "nints": 2, "ngroups": 6, "nframes": 4, "groupgap": 1},
}


@pytest.mark.parametrize("name", list(OLS_CASES))
@pytest.mark.parametrize("suppress", [False, True])
def test_ols_matches_stcal(name, suppress):
    c = make_case(**OLS_CASES[name])
    c["suppress"] = suppress
    c["dropframes1"] = 2
    c["dark"] = np.full(c["pixeldq"].shape, 0.05, np.float32)
    image, integ, _ = stcal_fit(c)
    res = ours_ols(c)
    assert_products(res.rate, image, 1e-5)
    assert_products(res.rateints, integ, 1e-5)


@pytest.mark.parametrize("name", ["1x10", "3x5", "frames4_gap1"])
def test_ols_bitwise_is_stcal_to_the_bit(name):
    """bitwise=True: unflagged ramps too with stcal's expressions in stcal's order."""
    c = make_case(**OLS_CASES[name])
    c["suppress"] = True
    c["dark"] = np.full(c["pixeldq"].shape, 0.05, np.float32)
    image, integ, _ = stcal_fit(c)
    res = ours_ols(c, bitwise=True)
    for ours, ref in ((res.rate, image), (res.rateints, integ)):
        for key in ("dq", *KEYS):
            np.testing.assert_array_equal(getattr(ours, key), ref[key], err_msg=key)


@pytest.mark.parametrize("suppress", [False, True])
def test_ols_zeroframe_and_first_group_matches_stcal(suppress):
    c = make_case(11, 2, 4, ny=32, nx=32, nframes=2)
    gdq = c["groupdq"]
    gdq[:, 1:, :4, :] |= SAT  # only the first group good
    gdq[:, :, 4:8, :] |= SAT  # saturated from the start: the ZEROFRAME is used
    zf = (c["data"][:, 0] * 0.5).astype(np.float32)
    zf[:, 6, :] = 0.0  # ZEROFRAME also saturated
    c["zeroframe"], c["suppress"] = zf, suppress
    image, integ, _ = stcal_fit(c)
    res = ours_ols(c)
    assert_products(res.rate, image, 1e-5)
    assert_products(res.rateints, integ, 1e-5)


def test_ols_chargeloss_matches_stcal():
    c = make_case(12, 3, 6, ny=32, nx=32)
    gdq = c["groupdq"]
    gdq[0, 3:, :6, :] |= CL | DNU
    gdq[1, 2, 10:12, :] |= CL  # CHARGELOSS without DO_NOT_USE: stcal toggles both bits
    image, integ, _ = stcal_fit(c)
    res = ours_ols(c)
    assert_products(res.rate, image, 1e-5)
    assert_products(res.rateints, integ, 1e-5)


def test_ols_odd_values_match_stcal():
    c = make_case(16, 2, 7, ny=24, nx=70)
    c["data"][0, 3, 1, 1] = np.nan
    c["data"][1, :, 2, 2] = np.nan
    c["data"][0, 5, 3, 3] = np.inf
    c["readnoise"][4, 4] = 0.0
    c["readnoise"][6, 6] = np.nan
    c["groupdq"][0, :, 12, 12] = [0, 0, JUMP, JUMP, 0, 0, 0]  # consecutive jumps
    c["groupdq"][1, :, 13, 13] = [0, DNU, 0, DNU, 0, DNU, 0]  # one-group runs only
    with np.errstate(all="ignore"):
        image, integ, _ = stcal_fit(c)
        res = ours_ols(c)
    assert_products(res.rate, image, 1e-5)
    assert_products(res.rateints, integ, 1e-5)


def test_ols_flat_ramps_have_zero_slope_where_stcal_rounds():
    """Where we disagree: the least-squares slope of a flat ramp is 0.  stcal sums the
    weighted values at their level and subtracts products of those sums, which leaves the
    rounding of the level (~1e-13 DN/s at 12000 DN); we fit the differences from the first
    group and get 0 exactly.  Ramps with a slope agree to the tolerance."""
    c = make_case(17, 1, 5, ny=16, nx=16, jumps=False)
    levels = np.array([1000.5, 12000.25, 12345.678, 30000.1, 777.77, 5000.0, 23456.5, 11111.1])
    c["data"][:, :, :2, :] = np.tile(levels, 2).astype(np.float32)  # flat ramps, rows 0-1
    c["groupdq"][:, :, :2, :] = 0
    c["pixeldq"][:] = 0
    c["gain"][:] = 2.0
    image, _, _ = stcal_fit(c)
    res = ours_ols(c)
    assert np.all(res.rate.slope[:2] == 0.0)
    assert np.any(image["slope"][:2] != 0.0)
    assert np.abs(image["slope"][:2]).max() < 1e-11
    np.testing.assert_allclose(res.rate.slope[2:], image["slope"][2:], rtol=1e-5, atol=0)


def test_ols_optional_products_match_stcal():
    c = make_case(13, 2, 8, ny=32, nx=32)
    _, _, opt = stcal_fit(c, save_opt=True)
    res = ours_ols(c, save_opt=True)
    for key in ("slope", "sigslope", "var_poisson", "var_rnoise", "yint", "sigyint", "weights",
                "pedestal", "crmag"):  # fmt: skip
        np.testing.assert_array_equal(getattr(res.optional, key), opt[key], err_msg=key)


def test_ols_segment_axis_counts_only_fitted_segments():
    """Where we disagree: a ramp whose good runs are all one group long keeps only its first
    one-group segment, but stcal's list keeps counting the dropped ones, so its fitopt
    segment axis can be longer, padded with zeros.  We size the axis by the segments that
    are fitted; the values agree."""
    c = make_case(14, 1, 6, ny=16, nx=16, jumps=False)
    c["groupdq"][0, :, 0, 0] = [0, DNU, 0, DNU, 0, DNU]  # three one-group runs
    _, _, opt = stcal_fit(c, save_opt=True)
    res = ours_ols(c, save_opt=True)
    assert opt["slope"].shape[1] == 3 and res.optional.slope.shape[1] == 1
    assert not opt["slope"][:, 1:].any()
    np.testing.assert_array_equal(res.optional.slope, opt["slope"][:, :1])


def test_ols_fully_saturated_exposure_returns_products():
    """Where we differ by design: stcal returns None when every first group is saturated;
    the kernel returns NaN rates flagged DO_NOT_USE + SATURATED, and the step decides."""
    c = make_case(15, 1, 4, ny=16, nx=16, jumps=False)
    c["groupdq"][:] = SAT
    assert stcal_fit(c) == (None, None, None)
    res = ours_ols(c)
    assert np.isnan(res.rate.slope).all()
    assert ((res.rate.dq & (DNU | SAT)) == DNU | SAT).all()


def stcal_jump_test_disabled(c):
    """(nints, ny, nx) mask of ramps whose jump test stcal switches off.

    Where we disagree: stcal's closed form for the fit leaving out an adjacent pair of
    differences divides by zero where the pair's cross term vanishes, which happens at
    zero count rate (always with one read per resultant; with several reads per resultant
    for some positions in 5- and 7-group ramps).  The NaN survives stcal's multiplication
    by "may this pair be dropped", makes the best improvement NaN and so no jump is ever
    dropped from that ramp, however large.  Our kernel ignores the pairs that may not be
    dropped and computes the others without that division; the ramps concerned are found
    here by running stcal's own first pass."""
    from stcal.ramp_fitting import likely_fit as lf
    from stcal.ramp_fitting.likely_algo_classes import Covar

    nints, ngroups, ny, nx = c["data"].shape
    nf, gap, ft = c.get("nframes", 1), c.get("groupgap", 0), c["frame_time"]
    rt = [(np.arange(1, nf + 1) + k * (nf + gap)) * ft for k in range(ngroups)]
    zf = c.get("zeroframe")
    if zf is not None:
        rt = [rt[0][:1], rt[0][1:], *rt[1:]]
    cov = Covar(rt)
    out = np.zeros((nints, ny, nx), bool)
    rn = c["readnoise"] / np.sqrt(2)
    for i in range(nints):
        d, gdq = c["data"][i], c["groupdq"][i]
        if zf is not None:
            first = (d[0] * nf - zf[i]) / (nf - 1)
            d = np.vstack([zf[i][None], first[None], d[1:]])
            gdq = np.vstack([gdq[:1], gdq])
        diff = (d[1:] - d[:-1]) / cov.delta_t[:, None, None]
        for row in range(ny):
            use = lf.determine_diffs2use(row, diff, gdq)
            crg = np.median(diff[:, row], axis=0)[np.newaxis]
            crg *= crg > 0
            r = lf.fit_ramps(
                diff[:, row], cov, c["gain"][row], rn[row], count_rate_guess=crg,
                diffs2use=use, detect_jumps=True,
            )  # fmt: skip
            nan = np.isnan(r.chisq - r.chisq_two_omit) & np.isfinite(r.chisq)
            out[i, row] = np.any(nan, axis=0)
    return out


def assert_likely(res, image, integ, off):
    """Compare where stcal's jump test ran; `off` from stcal_jump_test_disabled."""
    for ours, ref, mask in ((res.rateints, integ, off), (res.rate, image, off.any(axis=0))):
        keep = ~mask
        np.testing.assert_array_equal(ours.dq[keep], ref["dq"][keep])
        for key in KEYS:
            a, b = getattr(ours, key)[keep], ref[key][keep]
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=key)
            good = ~np.isnan(a)
            np.testing.assert_allclose(a[good], b[good], rtol=1e-4, atol=0, err_msg=key)


LIKELY_CASES = {
    "1x10": {"seed": 21, "nints": 1, "ngroups": 10},
    "3x5": {"seed": 22, "nints": 3, "ngroups": 5},
    "frames4": {"seed": 23, "nints": 2, "ngroups": 6, "nframes": 4, "groupgap": 1},
    "5x2frames2": {"seed": 26, "nints": 2, "ngroups": 5, "nframes": 2},
}


@pytest.mark.parametrize("name", list(LIKELY_CASES))
def test_likely_matches_stcal(name):
    c = make_case(**LIKELY_CASES[name])
    c["groupdq"] &= ~np.uint8(JUMP)  # LIKELY finds the jumps itself
    c["dark"] = np.full(c["pixeldq"].shape, 0.05, np.float32)
    image, integ, _ = stcal_fit(c, "LIKELY")
    res = ours_likely(c)
    off = stcal_jump_test_disabled(c)
    assert off.mean() < 0.05  # 0.1-0.6% here
    off |= two_difference_ramps(c)
    assert_likely(res, image, integ, off)
    keep = ~off.any(axis=0)
    np.testing.assert_allclose(res.chisq[keep], image["chisq"][keep], rtol=1e-4, atol=1e-3)


def test_likely_finds_the_jump_stcal_misses():
    """A 750 DN jump in a ramp at zero median rate: stcal's NaN pair improvement switches
    its jump test off (see stcal_jump_test_disabled); we flag the jump and fit around it."""
    c = make_case(**LIKELY_CASES["3x5"])
    c["groupdq"] &= ~np.uint8(JUMP)
    np.testing.assert_allclose(
        c["data"][0, :, 26, 7], [1008.1364, 996.5045, 1745.5801, 1753.9731, 1741.8566], rtol=1e-6
    )
    _, integ, _ = stcal_fit(c, "LIKELY")
    res = ours_likely(c)
    assert stcal_jump_test_disabled(c)[0, 26, 7]
    assert integ["dq"][0, 26, 7] == 0 and integ["slope"][0, 26, 7] > 15  # jump kept in
    assert res.rateints.dq[0, 26, 7] == JUMP and abs(res.rateints.slope[0, 26, 7]) < 2


def test_likely_uneven_read_pattern_matches_stcal():
    c = make_case(25, 1, 6, ny=32, nx=32, jumps=False)
    ft = c["frame_time"]
    pattern = [[1], [2, 3], [4, 5, 6, 7], [8], [9, 10], [12, 13, 14]]
    read_times = [[r * ft for r in group] for group in pattern]
    rd = _ramp_data(
        c["data"], c["groupdq"], c["pixeldq"], None, None, 1, 0, 0, ft, c["group_time"],
        "LIKELY", False,
    )  # fmt: skip
    rd.read_pattern = read_times
    image, integ, _ = stcal_ramp_fit.ramp_fit_data(
        rd, False, c["readnoise"].copy(), c["gain"].copy(), "LIKELY", "optimal", "none"
    )
    res = fit_ramps_likely(
        c["data"], c["groupdq"], c["pixeldq"], c["readnoise"], c["gain"], frame_time=ft,
        read_times=read_times,
    )  # fmt: skip
    assert_likely(res, image, integ, two_difference_ramps(c))


def two_difference_ramps(c):
    """(nints, ny, nx) mask of ramps with exactly two usable differences.

    Left out of the comparison: when the jump test runs on two differences, leaving out
    either one gives the same chi-square improvement (one difference always fits exactly),
    so which one is called the jump is decided by the last bit of two equal numbers, and
    stcal and we may pick differently (both flag a jump)."""
    g = c["groupdq"]
    if c.get("zeroframe") is not None:
        g = np.concatenate([g[:, :1], g], axis=1)
    usable = (g[:, 1:] == 0) & (g[:, :-1] == 0)
    return usable.sum(axis=1) == 2


def test_likely_zeroframe_matches_stcal():
    c = make_case(24, 2, 5, ny=32, nx=32, nframes=3)
    c["groupdq"] &= ~np.uint8(JUMP)
    # the ZEROFRAME is the first frame of the first group
    rate = (c["data"][:, 1] - c["data"][:, 0]) / c["group_time"]
    c["zeroframe"] = (c["data"][:, 0] - rate * c["frame_time"]).astype(np.float32)
    image, integ, _ = stcal_fit(c, "LIKELY")
    res = ours_likely(c)
    off = stcal_jump_test_disabled(c) | two_difference_ramps(c)
    assert off.mean() < 0.05
    assert_likely(res, image, integ, off)
