import pathlib

import numpy as np
import pytest
from _ramp_sim import CHARGELOSS, DNU, GROUP_TIME, JUMP, PERS, SAT, over_ramps, simulate
from hypothesis import given
from hypothesis import strategies as st

from jwcore.ramp import OlsRampFitter, fit_ramps_ols, stack_optional

POWERS = [(5, 0.0), (10, 0.4), (20, 1.0), (50, 3.0), (100, 6.0)]


def _power(snr):
    for limit, p in POWERS:
        if snr < limit:
            return p
    return 10.0


def _segments(g):
    """Runs of good groups; a group flagged JUMP_DET alone opens the next run."""
    good = (g & ~np.uint8(PERS)) == 0
    segs, k, n = [], 0, len(g)
    while k < n:
        if not good[k]:
            k += 1
            continue
        start = k - 1 if k > 0 and (g[k - 1] & ~np.uint8(PERS)) == JUMP else k
        while k < n and good[k]:
            k += 1
        segs.append((start, k))
    if any(e - s > 1 for s, e in segs):
        return [(s, e) for s, e in segs if e - s > 1]
    return segs[:1]


def reference(data, gdq, pdq, rn_cds, gain, group_time, frame_time, nframes=1, dark=None):
    """Slow, obvious OLS with optimal weighting, written from the JWST documentation."""
    nints, ng, ny, nx = data.shape
    gt, ft = float(np.float32(group_time)), float(np.float32(frame_time))
    t_first = (nframes + 1) * ft / 2
    out_r = {k: np.zeros((ny, nx)) for k in ("slope", "vp", "vr")}
    out_i = {k: np.zeros((nints, ny, nx)) for k in ("slope", "vp", "vr")}
    dq_r = np.zeros((ny, nx), np.uint32)
    dq_i = np.zeros((nints, ny, nx), np.uint32)
    for y in range(ny):
        for x in range(nx):
            g_e = float(gain[y, x])
            rn = float(np.float32(float(rn_cds[y, x]) * g_e / np.sqrt(2.0 * nframes)))
            dk = 0.0 if dark is None else float(dark[y, x])
            bad_pix = bool(pdq[y, x] & (DNU | SAT)) or not g_e > 0
            # median of first differences, averaged over integrations
            meds = []
            for i in range(nints):
                g = gdq[i, :, y, x]
                d = np.where(g & SAT, np.nan, data[i, :, y, x].astype(float))
                only_first = np.count_nonzero(g == 0) == 1 and g[0] == 0
                if only_first:
                    meds.append(d[0] / t_first)
                    continue
                loc = np.where(g & DNU, np.nan, d / gt)
                diff = np.where(g[1:] & JUMP, np.nan, np.diff(loc))
                ok = diff[~np.isnan(diff)]
                meds.append(np.median(ok) if ok.size else (loc[0] if ng > 1 else np.nan))
            mrate = np.mean(np.nan_to_num(meds, nan=0.0))
            inv_p = inv_r = snum = 0.0
            n_dnu = n_sat = 0
            any_sat = False
            for i in range(nints):
                g = gdq[i, :, y, x]
                d = np.where(g & SAT, np.nan, data[i, :, y, x].astype(float))
                q = int(pdq[y, x]) | (DNU | 2**19 if not g_e > 0 else 0)
                q |= JUMP if np.any(g & JUMP) else 0
                q |= PERS if np.any(g & PERS) else 0
                slope = 0.0
                vp = vr = 0.0
                if g[0] & SAT:
                    q |= DNU | SAT
                    segs = []
                elif np.all(g & (DNU | SAT)):
                    q |= DNU | (SAT if np.all(g & SAT) else 0)
                    segs = []
                else:
                    segs = _segments(g) if g_e > 0 else []
                if segs:
                    ip = ir = sn = 0.0
                    for s, e in segs:
                        L = e - s
                        if L == 1:
                            t = t_first if (np.count_nonzero(g == 0) == 1 and g[0] == 0) else gt
                            sl, tvar = d[s] / t, t
                            var_r = 12 * (rn / t) ** 2 / (6 * g_e**2)
                        else:
                            yv = d[s:e]
                            snr = (yv[-1] - yv[0]) * g_e / np.sqrt(rn**2 + (yv[-1] - yv[0]) * g_e)
                            p = _power(max(snr, 0.0)) if np.isfinite(snr) else 10.0
                            k = np.arange(L, dtype=float)
                            mid = (L - 1) / 2
                            w = np.float32(np.abs((k - mid) / mid)) ** np.float32(p)
                            A = np.vstack([np.ones(L), k]).T * np.sqrt(w)[:, None]
                            coef = np.linalg.lstsq(A, yv * np.sqrt(w), rcond=None)[0]
                            sl, tvar = coef[1] / gt, gt * (L - 1)
                            var_r = 12 * (rn / gt) ** 2 / ((L**3 - L) * g_e**2)
                        var_p = (mrate + dk if mrate > 0 else dk) / (tvar * g_e)
                        ir += 1 / var_r
                        ip += 1 / var_p if var_p > 0 else 0.0
                        sn += sl / var_r
                    vp = 1 / ip if ip > 0 else 0.0
                    vr = 1 / ir
                    slope = sn * vr
                    if q & (DNU | SAT):
                        slope, vp, vr = np.nan, 0.0, 0.0
                    inv_p += ip
                    inv_r += ir
                    snum += sn
                if q & (DNU | SAT):
                    slope = np.nan
                n_dnu += bool(q & DNU)
                n_sat += bool(q & SAT)
                if np.any(g & SAT):
                    q |= SAT
                    any_sat = True
                out_i["slope"][i, y, x], out_i["vp"][i, y, x], out_i["vr"][i, y, x] = slope, vp, vr
                dq_i[i, y, x] = q
            q = int(pdq[y, x]) | (DNU | 2**19 if not g_e > 0 else 0)
            q |= int(np.bitwise_or.reduce(dq_i[:, y, x]) & (JUMP | PERS))
            q |= DNU if n_dnu == nints else 0
            q |= SAT if n_sat == nints else 0
            vp = 1 / inv_p if inv_p > 0 else 0.0
            vr = 1 / inv_r if inv_r > 0 else 0.0
            slope = snum * vr
            if q & (DNU | SAT) or bad_pix:
                slope, vp, vr = np.nan, 0.0, 0.0
            dq_r[y, x] = q | (SAT if any_sat else 0)
            out_r["slope"][y, x], out_r["vp"][y, x], out_r["vr"][y, x] = slope, vp, vr
    return out_r, dq_r, out_i, dq_i


def _fit(sim, **kw):
    return fit_ramps_ols(
        sim["data"],
        sim["groupdq"],
        sim["pixeldq"],
        sim["readnoise"],
        sim["gain"],
        frame_time=sim["group_time"],
        group_time=sim["group_time"],
        **kw,
    )


def _flagged_sim(rng, nints=2, ngroups=8):
    sim = simulate(rng, nints=nints, ngroups=ngroups, ny=9, nx=11, jump_prob=0.08, full_well=20000)
    sim["data"][:, :, ::4, ::3] *= 50  # bright pixels that saturate
    gdq = sim["groupdq"]
    gdq[np.maximum.accumulate(sim["data"] > 30000, axis=1)] |= SAT
    gdq[0, :, 1, 1] = DNU  # all flagged
    gdq[0, 1:, 2, 2] |= SAT  # only the first group good
    gdq[-1, 0, 3, 3] |= SAT  # saturated from the start
    gdq[0, min(3, ngroups - 1), 4, 4] |= DNU
    gdq[0, min(2, ngroups - 1), 5, 5] |= PERS
    sim["pixeldq"][6, 6] = DNU
    sim["gain"][7, 7] = 0.0
    return sim


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("nints,ngroups", [(1, 10), (2, 8), (3, 3), (1, 70)])
def test_matches_reference(rng, n_threads, nints, ngroups):
    sim = _flagged_sim(rng, nints, ngroups)
    res = _fit(sim, n_threads=n_threads)
    ref_r, dq_r, ref_i, dq_i = reference(
        sim["data"], sim["groupdq"], sim["pixeldq"], sim["readnoise"], sim["gain"],
        GROUP_TIME, GROUP_TIME,
    )  # fmt: skip
    np.testing.assert_array_equal(res.rate.dq, dq_r)
    np.testing.assert_array_equal(res.rateints.dq, dq_i)
    for ours, ref in (
        (res.rate.slope, ref_r["slope"]),
        (res.rate.var_poisson, ref_r["vp"]),
        (res.rate.var_rnoise, ref_r["vr"]),
        (res.rateints.slope, ref_i["slope"]),
        (res.rateints.var_poisson, ref_i["vp"]),
        (res.rateints.var_rnoise, ref_i["vr"]),
    ):
        np.testing.assert_allclose(ours, ref, rtol=2e-5, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(
        res.rate.err, np.sqrt(res.rate.var_poisson + res.rate.var_rnoise), rtol=1e-6
    )


def test_threads_give_identical_results(rng):
    sim = _flagged_sim(rng, 3, 6)
    a, b = _fit(sim, save_opt=True), _fit(sim, save_opt=True, n_threads=2)
    for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
        np.testing.assert_array_equal(getattr(a.rate, name), getattr(b.rate, name))
        np.testing.assert_array_equal(getattr(a.rateints, name), getattr(b.rateints, name))
    np.testing.assert_array_equal(a.optional.slope, b.optional.slope)


@pytest.mark.parametrize(
    "nints,ngroups,nx",
    [(2, 9, 11), (1, 10, 37), (3, 5, 16), (1, 2, 13), (2, 3, 9), (1, 25, 21), (2, 26, 19),
     (1, 70, 12)],
)  # fmt: skip
@pytest.mark.parametrize("bitwise", [False, True])
def test_vectorised_and_general_paths_agree(rng, nints, ngroups, nx, bitwise):
    """Unflagged ramps take a vectorised path (per-pixel values shared by the integrations,
    the slope as fixed coefficients of the groups, medians by compile-time networks up to 24
    differences, whole blocks of 8 pixels and the rest of a row apart) unless the optional
    products are asked for; the general path follows stcal's arithmetic step by step.  They
    agree to rounding (an ulp of the float32 products), and with ``bitwise`` to the bit,
    with and without jumps, saturation and DO_NOT_USE groups; the flags are the same."""
    sim = simulate(rng, nints=nints, ngroups=ngroups, ny=7, nx=nx, jump_prob=0.02,
                   full_well=30000)  # fmt: skip
    sim["data"][:, :, ::3, ::4] *= 40  # bright pixels that saturate
    gdq = sim["groupdq"]
    gdq[np.maximum.accumulate(sim["data"] > 30000, axis=1)] |= SAT
    gdq[0, min(2, ngroups - 1), 1, 2] |= DNU
    gdq[-1, min(1, ngroups - 1), 2, 3] |= PERS
    sim["data"][0, min(3, ngroups - 1), 0, 0] = np.nan
    sim["data"][-1, :, 3, 5] = 0.0  # a zero ramp
    sim["readnoise"][4, 1] = 0.0
    sim["pixeldq"][5, 6] = DNU
    kw = {"suppress_one_group": True, "bitwise": bitwise}
    a, b = _fit(sim, **kw), _fit(sim, save_opt=True, **kw)
    for prod in ("rate", "rateints"):
        pa, pb = getattr(a, prod), getattr(b, prod)
        np.testing.assert_array_equal(pa.dq, pb.dq)
        for name in ("slope", "var_poisson", "var_rnoise", "err"):
            if bitwise:
                np.testing.assert_array_equal(getattr(pa, name), getattr(pb, name), name)
            else:
                np.testing.assert_allclose(
                    getattr(pa, name), getattr(pb, name), rtol=3e-7, atol=1e-10, err_msg=name
                )


@pytest.mark.parametrize("ngroups", [3, 5, 10, 70])
def test_flat_ramps_have_zero_slope(ngroups):
    """The vectorised path fits the differences from the first group: a flat ramp's slope is
    exactly 0 at any level, not the rounding of the level's cancellation."""
    levels = np.array([777.77, 1000.5, 12000.25, 12345.678, 30000.1, 59999.9], np.float32)
    data = np.broadcast_to(levels, (1, ngroups, 3, levels.size)).copy()
    gdq = np.zeros(data.shape, np.uint8)
    shape = data.shape[2:]
    res = fit_ramps_ols(
        data, gdq, np.zeros(shape, np.uint32), np.full(shape, 12.0, np.float32),
        np.full(shape, 2.0, np.float32), frame_time=GROUP_TIME, group_time=GROUP_TIME,
    )  # fmt: skip
    assert np.all(res.rate.slope == 0.0)
    assert np.all(res.rateints.slope == 0.0)


def test_median_tables_are_generated_and_correct(table_generator):
    """median_tables.h is tools/gen_median_tables.py's output, and each network puts the middle
    order statistics in place (random inputs with ties)."""
    gen, text = table_generator("gen_median_tables")
    root = pathlib.Path(__file__).parents[3]
    assert (root / "src" / "jwcore" / "ramp" / "src" / "median_tables.h").read_text() == text
    r = np.random.default_rng(5)
    for n in range(2, gen.MAX + 1):
        net = gen.network(n)
        v = r.integers(0, 4, (500, n)).astype(float)
        for a, b in net:
            lo, hi = np.minimum(v[:, a], v[:, b]), np.maximum(v[:, a], v[:, b])
            v[:, a], v[:, b] = lo, hi
        ref = np.sort(v, axis=1)
        np.testing.assert_array_equal(v[:, n // 2], ref[:, n // 2])
        np.testing.assert_array_equal(v[:, (n - 1) // 2], ref[:, (n - 1) // 2])


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("nints,ngroups,nx", [(1, 10, 11), (3, 12, 11), (25, 20, 4096)])
def test_products_written_over_the_ramps(rng, nints, ngroups, nx, n_threads):
    """Products laid over the ramps they are fitted from equal the allocated ones; the
    last case has rows too long to keep every integration's row in the kernel's buffer,
    so each integration's row is read again after others' products are written."""
    if nx == 11:
        sim = _flagged_sim(rng, nints, ngroups)
    else:
        sim = simulate(rng, nints=nints, ngroups=ngroups, ny=3, nx=nx, jump_prob=0.01)
    expected = _fit(sim, n_threads=n_threads)
    rate, ints = over_ramps(sim["data"])
    got = _fit(sim, rate_out=rate, rateints_out=ints, n_threads=n_threads)
    assert got.rate is rate and got.rateints is ints
    assert np.shares_memory(got.rateints.slope, sim["data"])
    for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
        np.testing.assert_array_equal(getattr(got.rate, name), getattr(expected.rate, name))
        np.testing.assert_array_equal(getattr(got.rateints, name), getattr(expected.rateints, name))


def test_unfilled_products_start_on_huge_page_boundaries():
    """Products the fit allocates (every element written) start on 2 MB boundaries, so that
    huge pages cover all of them; small ones are plain arrays."""
    from jwcore.ramp._products import RampProducts

    big = RampProducts.unfilled((2, 1024, 1024))
    for a in big.as_tuple():
        assert a.ctypes.data % (2 << 20) == 0
        assert a.flags.c_contiguous and a.flags.writeable and a.shape == (2, 1024, 1024)
    assert big.slope.dtype == np.float32 and big.dq.dtype == np.uint32
    big.slope[...] = 1.0  # the block before the view is untouched, the view is whole
    assert float(big.slope.sum()) == 2 * 1024 * 1024
    small = RampProducts.unfilled((3, 5))
    assert small.slope.base is None and small.slope.shape == (3, 5)


def test_product_outputs_are_checked(rng):
    from jwcore.ramp import RampProducts

    sim = _flagged_sim(rng, 2, 6)
    good = RampProducts.empty((9, 11))
    with pytest.raises(ValueError, match="rate_out arrays must be"):
        _fit(sim, rate_out=RampProducts.empty((9, 10)))
    with pytest.raises(ValueError, match="rateints_out arrays must be"):
        _fit(sim, rateints_out=good)
    bad = RampProducts.empty((2, 9, 22))
    strided = RampProducts(*(getattr(bad, n)[:, :, ::2] for n in bad.__dataclass_fields__))
    with pytest.raises(ValueError, match="contiguous rows"):
        _fit(sim, rateints_out=strided)


def test_streaming_equals_whole_exposure(rng):
    sim = _flagged_sim(rng, 3, 6)
    sim["groupdq"][1, 2:4, 0, 4] |= CHARGELOSS | DNU
    sim["groupdq"][2, 3, 0, 5] |= CHARGELOSS
    whole = _fit(sim, save_opt=True, average_dark_current=np.full((9, 11), 0.3, np.float32))
    f = OlsRampFitter(
        sim["pixeldq"], sim["readnoise"], sim["gain"], ngroups=6, frame_time=GROUP_TIME,
        group_time=GROUP_TIME, average_dark_current=np.full((9, 11), 0.3, np.float32),
        n_threads=2,
    )  # fmt: skip
    for i in range(3):
        f.add_median(sim["data"][i], sim["groupdq"][i])
    parts = [f.fit_integration(sim["data"][i], sim["groupdq"][i], save_opt=True) for i in range(3)]
    rate = f.finish()
    for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
        np.testing.assert_array_equal(getattr(rate, name), getattr(whole.rate, name))
        for i in range(3):
            np.testing.assert_array_equal(
                getattr(parts[i][0], name), getattr(whole.rateints, name)[i]
            )
    opt = stack_optional([p[1] for p in parts])
    np.testing.assert_array_equal(opt.slope, whole.optional.slope)
    np.testing.assert_array_equal(opt.crmag, whole.optional.crmag)


def test_streaming_order_is_enforced(rng):
    sim = simulate(rng, nints=1, ngroups=4, ny=3, nx=3)
    f = OlsRampFitter(
        sim["pixeldq"], sim["readnoise"], sim["gain"], ngroups=4, frame_time=1.0, group_time=1.0
    )
    with pytest.raises(RuntimeError, match="before add_median"):
        f.fit_integration(sim["data"][0], sim["groupdq"][0])
    f.add_median(sim["data"][0], sim["groupdq"][0])
    f.fit_integration(sim["data"][0], sim["groupdq"][0])
    with pytest.raises(RuntimeError, match="more often"):
        f.fit_integration(sim["data"][0], sim["groupdq"][0])


@given(
    slope=st.floats(0.5, 500.0),
    bias=st.floats(0.0, 5000.0),
    ngroups=st.integers(2, 30),
    scale=st.sampled_from([0.5, 1.0, 4.0]),
)
def test_exact_line_gives_its_slope_and_scales(slope, bias, ngroups, scale):
    t = np.arange(ngroups) * GROUP_TIME
    data = (bias + slope * t)[None, :, None, None] * np.ones((1, 1, 2, 3))
    kw = {"frame_time": GROUP_TIME, "group_time": GROUP_TIME}
    gdq = np.zeros(data.shape, np.uint8)
    pdq = np.zeros((2, 3), np.uint32)
    res = fit_ramps_ols(data, gdq, pdq, np.full((2, 3), 10.0), np.full((2, 3), 2.0), **kw)
    np.testing.assert_allclose(res.rate.slope, slope, rtol=2e-5)
    # scaling the data, the read noise and 1/gain together scales the rate
    scaled = fit_ramps_ols(
        data * scale, gdq, pdq, np.full((2, 3), 10.0 * scale), np.full((2, 3), 2.0 / scale), **kw
    )
    np.testing.assert_allclose(scaled.rate.slope, res.rate.slope * scale, rtol=2e-5)


@given(nints=st.integers(1, 3), ngroups=st.integers(1, 6), flag=st.sampled_from([DNU, SAT]))
def test_all_flagged_pixels_are_nan_and_do_not_use(nints, ngroups, flag):
    data = np.ones((nints, ngroups, 2, 2), np.float32)
    gdq = np.full(data.shape, flag, np.uint8)
    res = fit_ramps_ols(
        data, gdq, np.zeros((2, 2), np.uint32), np.ones((2, 2)), np.ones((2, 2)),
        frame_time=1.0, group_time=1.0,
    )  # fmt: skip
    assert np.isnan(res.rate.slope).all() and np.isnan(res.rateints.slope).all()
    assert (res.rate.dq & DNU).all()
    assert (res.rate.var_poisson == 0).all() and (res.rate.err == 0).all()
    if flag == SAT:
        assert (res.rate.dq & SAT).all()


def test_rates_are_unbiased_with_honest_errors(rng):
    sim = simulate(rng, nints=2, ngroups=10, ny=60, nx=60, rate=np.full((60, 60), 30.0))
    res = _fit(sim)
    pull = (res.rate.slope - 30.0) / res.rate.err
    assert abs(np.mean(res.rate.slope) / 30.0 - 1) < 3 * np.std(res.rate.slope) / 60 / 30 + 1e-3
    assert 0.85 < np.std(pull) < 1.15
    # the read-noise variance alone would be too small an error at this flux
    assert np.median(res.rate.var_poisson) > np.median(res.rate.var_rnoise)


def test_flagged_jumps_split_the_ramp(rng):
    sim = simulate(rng, nints=1, ngroups=10, ny=40, nx=40, rate=np.full((40, 40), 5.0))
    sim["data"][0, 5:, :, :20] += 2000.0
    sim["groupdq"][0, 5, :, :20] = JUMP
    res = _fit(sim, save_opt=True)
    np.testing.assert_allclose(np.median(res.rate.slope[:, :20]), 5.0, rtol=0.05)
    assert (res.rate.dq[:, :20] & JUMP).all() and not (res.rate.dq[:, 20:] & JUMP).any()
    assert res.optional.slope.shape[1] == 2  # two segments
    np.testing.assert_allclose(res.optional.crmag[0, 0, :, :20], 2000, atol=100)


def test_first_group_and_zeroframe_rates(rng):
    sim = simulate(rng, nints=1, ngroups=4, ny=2, nx=2, rate=np.full((2, 2), 100.0))
    gdq = sim["groupdq"]
    gdq[0, 1:, 0, 0] = SAT  # only group 1 good: its value over the first-read time
    gdq[0, :, 1, 1] = SAT  # all saturated, ZEROFRAME holds a value
    zf = np.zeros((1, 2, 2), np.float32)
    zf[0, 1, 1] = 500.0
    res = _fit(sim, zeroframe=zf)
    t = np.float32(GROUP_TIME)
    assert res.rate.slope[0, 0] == pytest.approx(sim["data"][0, 0, 0, 0] / t, rel=1e-6)
    assert res.rate.slope[1, 1] == pytest.approx(500.0 / t, rel=1e-6)
    assert res.rate.dq[1, 1] & SAT
    # suppress_one_group turns both into unusable ramps
    sup = _fit(sim, zeroframe=zf, suppress_one_group=True)
    assert np.isnan(sup.rate.slope[0, 0]) and np.isnan(sup.rate.slope[1, 1])


def test_chargeloss_recomputes_read_noise_only(rng):
    sim = simulate(rng, nints=1, ngroups=8, ny=2, nx=2)
    base = _fit(sim)
    sim["groupdq"][0, 4:, 0, 0] = CHARGELOSS | DNU
    res = _fit(sim)
    # the slope uses groups 1-4, the read noise variance the whole ramp
    assert res.rate.slope[0, 0] != base.rate.slope[0, 0]
    assert res.rate.var_rnoise[0, 0] == pytest.approx(base.rate.var_rnoise[0, 0], rel=1e-6)
    assert res.rate.var_rnoise[1, 1] == base.rate.var_rnoise[1, 1]


def test_big_endian_and_other_dtypes_give_the_same_answer(rng):
    sim = _flagged_sim(rng, 1, 5)
    a = _fit(sim)
    b = fit_ramps_ols(
        sim["data"].astype(">f4"), sim["groupdq"].astype(np.int16), sim["pixeldq"].astype(">u4"),
        sim["readnoise"].astype(">f8"), sim["gain"].astype(np.float64),
        frame_time=GROUP_TIME, group_time=GROUP_TIME,
    )  # fmt: skip
    np.testing.assert_array_equal(a.rate.slope, b.rate.slope)
    np.testing.assert_array_equal(a.rate.dq, b.rate.dq)


def test_validation_messages():
    d = np.zeros((1, 3, 2, 2), np.float32)
    g = np.zeros(d.shape, np.uint8)
    p = np.zeros((2, 2), np.uint32)
    one = np.ones((2, 2), np.float32)
    kw = {"frame_time": 1.0, "group_time": 1.0}
    with pytest.raises(ValueError, match="4-D"):
        fit_ramps_ols(d[0], g[0], p, one, one, **kw)
    with pytest.raises(ValueError, match="groupdq has shape"):
        fit_ramps_ols(d, g[:, :2], p, one, one, **kw)
    with pytest.raises(TypeError, match="groupdq must be an integer"):
        fit_ramps_ols(d, g.astype(float), p, one, one, **kw)
    with pytest.raises(ValueError, match="outside the uint8 range"):
        fit_ramps_ols(d, g.astype(np.int32) + 300, p, one, one, **kw)
    with pytest.raises(ValueError, match="readnoise has shape"):
        fit_ramps_ols(d, g, p, np.ones((3, 2)), one, **kw)
    with pytest.raises(ValueError, match="zeroframe has shape"):
        fit_ramps_ols(d, g, p, one, one, zeroframe=np.zeros((2, 2)), **kw)
    with pytest.raises(ValueError, match="group_time must be a positive"):
        fit_ramps_ols(d, g, p, one, one, frame_time=1.0, group_time=0.0)
    with pytest.raises(ValueError, match="nframes must be"):
        fit_ramps_ols(d, g, p, one, one, nframes=0, **kw)
    with pytest.raises(ValueError, match="n_threads"):
        fit_ramps_ols(d, g, p, one, one, n_threads=0, **kw)
    with pytest.raises(TypeError, match="data must be a real array"):
        fit_ramps_ols(d.astype(complex), g, p, one, one, **kw)
