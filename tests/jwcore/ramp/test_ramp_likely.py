import numpy as np
import pytest
from _ramp_sim import DNU, GROUP_TIME, JUMP, SAT, over_ramps, simulate
from hypothesis import given
from hypothesis import strategies as st

from jwcore.ramp import fit_ramps_likely, likely_covariance


def _dense_fit(d, use, crg, gain, rn, cov):
    """Generalised least squares on the used differences with the dense covariance."""
    n = d.size
    cph = np.diag(cov["alpha_ph"]) + np.diag(cov["beta_ph"], 1) + np.diag(cov["beta_ph"], -1)
    crn = np.diag(cov["alpha_rn"]) + np.diag(cov["beta_rn"], 1) + np.diag(cov["beta_rn"], -1)
    c = crg / gain * cph + rn**2 * crn
    idx = np.flatnonzero(use)
    ci = np.linalg.inv(c[np.ix_(idx, idx)])
    one = np.ones(idx.size)
    norm = one @ ci @ one
    rate = one @ ci @ d[idx] / norm
    r = d[idx] - rate
    w = np.zeros(n)
    w[idx] = ci @ one / norm
    return {
        "rate": rate,
        "chisq": r @ ci @ r,
        "uncert": np.sqrt(1 / norm),
        "vp": w @ cph @ w * (crg / gain),
        "vr": w @ crn @ w * rn**2,
    }


def reference_pixel(diffs, use, gain, rn_cds, cov, dark=0.0, t1=20.25, t2=23.8):
    """The jump test by brute force: refit without each difference (or adjacent pair)."""
    rn = rn_cds / np.sqrt(2)
    use = use.copy()
    n = diffs.size
    two_ok = cov["nreads"][1:-1] > 1
    crg = np.median(diffs)
    crg = max(crg, 0.0)
    rate = None
    for _ in range(n):
        base = _dense_fit(diffs, use, crg, gain, rn, cov)
        if rate is None:
            rate = base["rate"]
        d1 = np.zeros(n)
        r1 = np.zeros(n)
        for i in range(n):
            u = use.copy()
            u[i] = False
            f = _dense_fit(diffs, u, crg, gain, rn, cov) if use[i] else base
            d1[i], r1[i] = base["chisq"] - f["chisq"], f["rate"]
        d2 = np.zeros(n - 1)
        r2 = np.zeros(n - 1)
        for i in range(n - 1):
            u = use.copy()
            u[i : i + 2] = False
            f = _dense_fit(diffs, u, crg, gain, rn, cov)
            d2[i], r2[i] = base["chisq"] - f["chisq"], f["rate"]
        b1, b2 = d1.max(), (d2 * two_ok).max()
        if b1 - t1 > b2 - t2 and b1 > t1:
            i = np.argmax(d1)
            use[i] = False
            rate = r1[i]
        elif not (b1 - t1 > b2 - t2) and b2 > t2:
            i = np.argmax(d2 * two_ok)
            use[i : i + 2] = False
            rate = r2[i]
        else:
            break
        if use.sum() <= 3:
            break
    final = _dense_fit(diffs, use, max(rate, 0.0) + dark, gain, rn, cov)
    return use, final


def _read_times(ngroups, nframes=1, groupgap=0, ft=GROUP_TIME):
    return [(np.arange(1, nframes + 1) + k * (nframes + groupgap)) * ft for k in range(ngroups)]


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("nframes", [1, 4])
def test_matches_dense_reference(rng, n_threads, nframes):
    ngroups, ft = 8, GROUP_TIME / nframes
    sim = simulate(rng, nints=1, ngroups=ngroups, ny=6, nx=7, jump_prob=0.06, flag_jumps=False)
    sim["groupdq"][0, 3, 0, :3] = DNU
    res = fit_ramps_likely(
        sim["data"], sim["groupdq"], sim["pixeldq"], sim["readnoise"], sim["gain"],
        frame_time=ft, nframes=nframes, n_threads=n_threads, save_chisq=True,
    )  # fmt: skip
    cov = likely_covariance(_read_times(ngroups, nframes, 0, ft))
    for y in range(6):
        for x in range(7):
            g = sim["groupdq"][0, :, y, x]
            diffs = np.diff(sim["data"][0, :, y, x]).astype(np.float64) / cov["delta_t"]
            use = (g[1:] == 0) & (g[:-1] == 0)
            use_final, ref = reference_pixel(
                diffs, use, float(sim["gain"][y, x]), float(sim["readnoise"][y, x]), cov
            )
            assert res.rateints.slope[0, y, x] == pytest.approx(ref["rate"], rel=1e-5)
            assert res.rateints.err[0, y, x] == pytest.approx(ref["uncert"], rel=1e-5)
            assert res.chisq[y, x] == pytest.approx(ref["chisq"], rel=1e-4, abs=1e-4)
            assert res.rateints.var_rnoise[0, y, x] == pytest.approx(ref["vr"], rel=1e-5)
            assert res.rateints.var_poisson[0, y, x] == pytest.approx(ref["vp"], rel=1e-5)
            flagged = (res.rateints.dq[0, y, x] & JUMP) != 0
            assert flagged == bool(np.any(use & ~use_final))


@pytest.mark.parametrize("nframes", [1, 2])
def test_pixels_do_not_depend_on_their_neighbours(rng, nframes):
    """The kernel fits blocks of pixels together, with shortcuts for a block where every
    difference is used (no masking) and where no jump can pass its threshold (no
    improvements computed); a narrower last block is padded.  Each pixel's products must
    be the same bits whatever its neighbours: here the columns are shuffled, so that clean
    ramps, ramps with jumps, saturated and flagged ones meet in other blocks, and the row
    width (37) leaves a partial block."""
    nx = 37
    sim = simulate(
        rng, nints=2, ngroups=7, ny=5, nx=nx, jump_prob=0.03, flag_jumps=False,
        full_well=30000.0, nframes=nframes,
    )  # fmt: skip
    sim["groupdq"][0, 2:4, 1, ::5] |= DNU
    sim["data"][1, 3, 2, 7] = np.nan
    kw = {"frame_time": GROUP_TIME / nframes, "nframes": nframes, "save_chisq": True}
    args = (sim["pixeldq"], sim["readnoise"], sim["gain"])
    ref = fit_ramps_likely(sim["data"], sim["groupdq"], *args, **kw)
    clean = ((sim["groupdq"] == 0).all(axis=1)).sum()
    assert 0 < clean < sim["data"].shape[0] * 5 * nx  # both kinds of ramps are there
    for seed in range(3):
        perm = np.random.default_rng(seed).permutation(nx)
        inv = np.argsort(perm)
        got = fit_ramps_likely(
            sim["data"][..., perm], sim["groupdq"][..., perm], *(a[:, perm] for a in args), **kw
        )
        for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
            for a, b in ((ref.rate, got.rate), (ref.rateints, got.rateints)):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name)[..., inv])
        np.testing.assert_array_equal(ref.chisq_ints, got.chisq_ints[..., inv])
    assert (ref.rateints.dq & JUMP).any() and np.isnan(ref.rateints.slope[1, 2, 7])


def test_threads_and_groupdq_update(rng):
    sim = simulate(rng, nints=2, ngroups=6, ny=20, nx=9, jump_prob=0.05, flag_jumps=False)
    kw = {"frame_time": GROUP_TIME}
    args = (sim["pixeldq"], sim["readnoise"], sim["gain"])
    a = fit_ramps_likely(sim["data"], sim["groupdq"], *args, **kw)
    gdq = sim["groupdq"].copy()
    b = fit_ramps_likely(sim["data"], gdq, *args, update_groupdq=True, n_threads=2, **kw)
    for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
        np.testing.assert_array_equal(getattr(a.rate, name), getattr(b.rate, name))
        np.testing.assert_array_equal(getattr(a.rateints, name), getattr(b.rateints, name))
    assert not (sim["groupdq"] & JUMP).any()
    np.testing.assert_array_equal((gdq & JUMP).any(axis=1), (a.rateints.dq & JUMP) != 0)


def test_finds_injected_jumps(rng):
    sim = simulate(
        rng, nints=1, ngroups=10, ny=50, nx=50, rate=np.full((50, 50), 3.0), jump_prob=0.01,
        jump_dn=(400.0, 2000.0), flag_jumps=False,
    )  # fmt: skip
    res = fit_ramps_likely(
        sim["data"], sim["groupdq"].copy(), sim["pixeldq"], sim["readnoise"], sim["gain"],
        frame_time=GROUP_TIME,
    )  # fmt: skip
    hit = sim["jumps"].any(axis=1)[0]
    found = (res.rate.dq & JUMP) != 0
    assert found[hit].mean() > 0.97
    assert found[~hit].mean() < 0.01
    # rates of pixels with jumps are not biased by them
    np.testing.assert_allclose(np.median(res.rate.slope[hit]), 3.0, rtol=0.1)
    pull = (res.rate.slope - 3.0) / res.rate.err
    assert 0.8 < np.std(pull[~hit]) < 1.2


def test_combines_integrations_like_stcal(rng):
    sim = simulate(rng, nints=3, ngroups=5, ny=8, nx=8)
    res = fit_ramps_likely(
        sim["data"], sim["groupdq"], sim["pixeldq"], sim["readnoise"], sim["gain"],
        frame_time=GROUP_TIME, save_chisq=True,
    )  # fmt: skip
    ri = res.rateints
    slope = np.nanmedian(ri.slope, axis=0)
    for _ in range(2):
        scale = slope / ri.slope
        scale[~np.isfinite(scale) | (scale < 0)] = 0
        vp = ri.var_poisson * scale
        w = 1 / (vp + ri.var_rnoise)
        w /= w.sum(axis=0)
        slope = (ri.slope * w).sum(axis=0)
    np.testing.assert_allclose(res.rate.slope, slope, rtol=1e-5)
    np.testing.assert_allclose(res.rate.var_poisson, (vp * w**2).sum(axis=0), rtol=1e-5)
    np.testing.assert_allclose(res.chisq, res.chisq_ints.sum(axis=0), rtol=1e-5)


def test_fused_combination_matches_combine(rng):
    """The kernel combines integrations row by row as it fits them; _likely.combine does the
    same afterwards, on whole planes (and with another width than the blocks)."""
    from jwcore.ramp import _likely
    from jwcore.ramp._products import RampProducts

    sim = simulate(rng, nints=3, ngroups=5, ny=6, nx=21, jump_prob=0.05, flag_jumps=False)
    sim["data"][1, :, 2, 3] = np.nan
    res = fit_ramps_likely(
        sim["data"], sim["groupdq"], sim["pixeldq"], sim["readnoise"], sim["gain"],
        frame_time=GROUP_TIME, n_threads=2, save_chisq=True,
    )  # fmt: skip
    ri = res.rateints
    rate = RampProducts.empty((6, 21))
    chisq = np.zeros((6, 21), np.float32)
    _likely.combine(
        ri.slope, ri.dq, ri.var_poisson, ri.var_rnoise, res.chisq_ints, DNU,
        rate.slope, rate.dq, rate.var_poisson, rate.var_rnoise, rate.err, chisq,
    )  # fmt: skip
    for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
        np.testing.assert_array_equal(getattr(rate, name), getattr(res.rate, name))
    np.testing.assert_array_equal(chisq, res.chisq)
    # and without the chi squares
    bare = RampProducts.empty((6, 21))
    _likely.combine(
        ri.slope, ri.dq, ri.var_poisson, ri.var_rnoise, None, DNU,
        bare.slope, bare.dq, bare.var_poisson, bare.var_rnoise, bare.err, None,
    )  # fmt: skip
    for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
        np.testing.assert_array_equal(getattr(bare, name), getattr(res.rate, name))
    with pytest.raises(ValueError, match="go together"):
        _likely.combine(
            ri.slope, ri.dq, ri.var_poisson, ri.var_rnoise, res.chisq_ints, DNU,
            bare.slope, bare.dq, bare.var_poisson, bare.var_rnoise, bare.err, None,
        )  # fmt: skip


@pytest.mark.parametrize("nints", [1, 3])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_chisq_only_when_asked(rng, nints, n_threads):
    """Without save_chisq no chi square is kept, and the products are the same bits."""
    sim = simulate(rng, nints=nints, ngroups=6, ny=9, nx=37, jump_prob=0.05, flag_jumps=False)
    args = (sim["data"], sim["groupdq"], sim["pixeldq"], sim["readnoise"], sim["gain"])
    kw = {"frame_time": GROUP_TIME, "n_threads": n_threads}
    bare = fit_ramps_likely(*args, **kw)
    full = fit_ramps_likely(*args, save_chisq=True, **kw)
    assert bare.chisq is None and bare.chisq_ints is None
    assert full.chisq.shape == (9, 37) and full.chisq_ints.shape == (nints, 9, 37)
    for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
        for a, b in ((bare.rate, full.rate), (bare.rateints, full.rateints)):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize(
    "nints,ngroups,rate_groups,zeroframe,save_chisq",
    [(1, 10, True, False, False), (3, 12, True, True, True), (3, 5, False, False, True),
     (2, 6, False, True, False)],
)  # fmt: skip
def test_products_written_over_the_ramps(
    rng, nints, ngroups, rate_groups, zeroframe, save_chisq, n_threads
):
    """Products laid over the ramps they are fitted from (the rateints in groups 0-4 of
    each integration, the rate in groups 5-9 or allocated) are the bits of allocated ones,
    with or without the ZEROFRAME (read from group 0 before it is overwritten) and the
    chi squares (kept in arrays of their own); 37 columns leave a narrow last block."""
    sim = simulate(rng, nints=nints, ngroups=ngroups, ny=5, nx=37, jump_prob=0.03,
                   flag_jumps=False, nframes=2)  # fmt: skip
    kw = {"frame_time": GROUP_TIME / 2, "nframes": 2, "n_threads": n_threads,
          "save_chisq": save_chisq}  # fmt: skip
    if zeroframe:
        kw["zeroframe"] = (sim["data"][:, 0] - 30.0).astype(np.float32)
    args = (sim["groupdq"], sim["pixeldq"], sim["readnoise"], sim["gain"])
    expected = fit_ramps_likely(sim["data"], *args, **kw)
    rate, ints = over_ramps(sim["data"], rate_groups)
    got = fit_ramps_likely(sim["data"], *args, rate_out=rate, rateints_out=ints, **kw)
    assert got.rateints is ints and np.shares_memory(got.rateints.err, sim["data"])
    assert rate is None or got.rate is rate or nints == 1
    for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
        for a, b in ((got.rate, expected.rate), (got.rateints, expected.rateints)):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    if save_chisq:
        np.testing.assert_array_equal(got.chisq_ints, expected.chisq_ints)
        np.testing.assert_array_equal(got.chisq, expected.chisq)


def test_one_integration_rate_out(rng):
    """With one integration the rate is the rateints' plane: rate_out alone receives it,
    with rateints_out too a copy; products of the wrong shape are refused."""
    from jwcore.ramp import RampProducts

    sim = simulate(rng, nints=1, ngroups=6, ny=4, nx=19, jump_prob=0.05, flag_jumps=False)
    args = (sim["data"], sim["groupdq"], sim["pixeldq"], sim["readnoise"], sim["gain"])
    expected = fit_ramps_likely(*args, frame_time=GROUP_TIME)
    alone = RampProducts.empty((4, 19))
    got = fit_ramps_likely(*args, frame_time=GROUP_TIME, rate_out=alone)
    assert got.rate is alone and np.shares_memory(got.rateints.slope, alone.slope)
    both = RampProducts.empty((4, 19)), RampProducts.empty((1, 4, 19))
    got2 = fit_ramps_likely(*args, frame_time=GROUP_TIME, rate_out=both[0], rateints_out=both[1])
    assert got2.rate is both[0] and got2.rateints is both[1]
    for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
        for got_rate in (alone, both[0]):
            np.testing.assert_array_equal(getattr(got_rate, name), getattr(expected.rate, name))
        np.testing.assert_array_equal(getattr(both[1], name), getattr(expected.rateints, name))
    with pytest.raises(ValueError, match="rate_out arrays must be"):
        fit_ramps_likely(*args, frame_time=GROUP_TIME, rate_out=RampProducts.empty((4, 18)))
    wide = RampProducts.empty((1, 4, 38))
    strided = RampProducts(**{n: getattr(wide, n)[:, :, ::2] for n in wide.__dataclass_fields__})
    with pytest.raises(ValueError, match="contiguous rows"):
        fit_ramps_likely(*args, frame_time=GROUP_TIME, rateints_out=strided)


@given(slope=st.floats(1.0, 300.0), bias=st.floats(0.0, 3000.0), ngroups=st.integers(4, 25))
def test_exact_line_gives_its_slope(slope, bias, ngroups):
    t = (np.arange(ngroups) + 1) * GROUP_TIME
    data = (bias + slope * t)[None, :, None, None] * np.ones((1, 1, 2, 2))
    res = fit_ramps_likely(
        data, np.zeros(data.shape, np.uint8), np.zeros((2, 2), np.uint32),
        np.full((2, 2), 12.0), np.full((2, 2), 2.0), frame_time=GROUP_TIME,
    )  # fmt: skip
    np.testing.assert_allclose(res.rate.slope, slope, rtol=1e-4)
    assert not (res.rate.dq & JUMP).any()


def test_flagged_groups_and_dq(rng):
    sim = simulate(rng, nints=1, ngroups=6, ny=2, nx=2)
    sim["groupdq"][0, :, 0, 0] = SAT
    sim["groupdq"][0, 4:, 1, 1] = SAT
    sim["pixeldq"][0, 1] = 2**10
    res = fit_ramps_likely(
        sim["data"], sim["groupdq"], sim["pixeldq"], sim["readnoise"], sim["gain"],
        frame_time=GROUP_TIME,
    )  # fmt: skip
    assert res.rate.dq[0, 0] == DNU | SAT and np.isnan(res.rate.slope[0, 0])
    assert res.rate.dq[1, 1] == SAT and np.isfinite(res.rate.slope[1, 1])
    assert res.rate.dq[0, 1] == 2**10


def test_validation_messages():
    d = np.zeros((1, 3, 2, 2), np.float32)
    p = np.zeros((2, 2), np.uint32)
    one = np.ones((2, 2), np.float32)
    with pytest.raises(ValueError, match="at least 4 groups"):
        fit_ramps_likely(d, np.zeros(d.shape, np.uint8), p, one, one, frame_time=1.0)
    d = np.zeros((1, 5, 2, 2), np.float32)
    g = np.zeros(d.shape, np.uint8)
    with pytest.raises(ValueError, match="read_times has 3 groups"):
        fit_ramps_likely(d, g, p, one, one, frame_time=1.0, read_times=[[1], [2], [3]])
    with pytest.raises(ValueError, match="update_groupdq needs"):
        fit_ramps_likely(d, g.astype(np.int16), p, one, one, frame_time=1.0, update_groupdq=True)
    with pytest.raises(ValueError, match="rejection_threshold"):
        fit_ramps_likely(d, g, p, one, one, frame_time=1.0, rejection_threshold=-1)
    with pytest.raises(ValueError, match="gain has shape"):
        fit_ramps_likely(d, g, p, one, np.ones(3), frame_time=1.0)
