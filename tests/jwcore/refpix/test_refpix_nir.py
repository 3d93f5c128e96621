import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from jwcore import dqflags
from jwcore.refpix import make_sirs_kernels, subtract_refpix_nir

DNU = dqflags.pixel["DO_NOT_USE"]
REF = dqflags.pixel["REFERENCE_PIXEL"]


# ---------------------------------------------------------------- slow, obvious reference
def to_det(a, fast, slow):
    if abs(fast) == 1:
        return a[..., :: np.sign(slow), :: np.sign(fast)]
    return np.swapaxes(a[..., :: np.sign(fast), :: np.sign(slow)], -1, -2)


def clip_mean(v, lim):
    """None, or a NumPy scalar typed as the JWST step types it."""
    if v.size == 0:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if np.std(v, dtype=np.float64) == 0:
            return v.mean(dtype=np.float64)
        return stats.sigmaclip(v, lim, lim)[0].mean()


def avg(a, b):
    if a is None or b is None:
        return b if a is None else a
    return 0.5 * (a + b)


def running_median(vals, ok, length):
    n = vals.shape[0]
    b = length // 2
    out = np.full(n, np.nan)
    for i in range(n):
        rows = [abs(q) if q < n else 2 * (n - 1) - q for q in range(i - b, i - b + length)]
        w = vals[rows][ok[rows]]
        if w.size:
            out[i] = np.median(w)
    return out


def reference(
    data,
    dq,
    fast,
    slow,
    origin=None,
    noutputs=4,
    odd_even=True,
    side=True,
    length=11,
    gain=1.0,
    lim=3.0,
):
    """The near-IR correction written plainly on whole detector-frame groups."""
    nints, ngroups, ny, nx = data.shape
    sub = (slice(None), slice(None))
    fdq = dq
    if origin is not None:
        sub = (slice(origin[0], origin[0] + ny), slice(origin[1], origin[1] + nx))
        fdq = np.full((2048, 2048), DNU | REF, np.uint32)
        fdq[4:-4, 4:-4] = 0
        fdq[sub] = dq
    shape = fdq.shape
    dqd = to_det(fdq, fast, slow)
    out = np.empty_like(data)
    buf = np.float32
    for i in range(nints):
        for g in range(ngroups):
            grp = np.zeros(shape, buf)
            grp[sub] = data[i, g]
            dg = to_det(grp, fast, slow)
            if origin is not None and noutputs != 4:
                ref = ((dqd & REF) != 0) & ((dqd & DNU) == 0)
                r, c = np.nonzero(ref)
                if odd_even:
                    for par in (0, 1):
                        lev = clip_mean(dg[r[c % 2 == par], c[c % 2 == par]], lim)
                        dg[:, par::2] -= lev
                elif r.size:
                    dg -= clip_mean(dg[r, c], lim)
                out[i, g] = grp[sub]
                continue
            nrd, ncd = dg.shape
            for amp in range(4):
                cols = np.arange(512 * amp, 512 * (amp + 1))
                groups = [cols[0::2], cols[1::2]] if odd_even else [cols]
                levs = []
                for sel in groups:
                    lev = None
                    for rows in (np.arange(nrd - 4, nrd), np.arange(4)):
                        v = dg[np.ix_(rows, sel)]
                        q = dqd[np.ix_(rows, sel)]
                        lev = avg(lev, clip_mean(v[(q & DNU) == 0], lim))
                    levs.append(lev)
                if any(lev is None for lev in levs):
                    continue
                for sel, lev in zip(groups, levs, strict=True):
                    dg[:, sel] = dg[:, sel] - lev
            if side:
                left = running_median(dg[:, :4], (dqd[:, :4] & DNU) == 0, length)
                right = running_median(dg[:, -4:], (dqd[:, -4:] & DNU) == 0, length)
                comb = np.where(
                    np.isnan(left), right, np.where(np.isnan(right), left, 0.5 * (left + right))
                )
                comb = np.where(np.isnan(comb), 0.0, comb)
                new = dg - gain * comb[:, None]
                buf = np.float64  # the buffer stays float64 from now on
                grp = np.zeros(shape, buf)
                to_det(grp, fast, slow)[...] = new
            out[i, g] = grp[sub]
    return out


# ---------------------------------------------------------------- data
def ramps(rng, nints, ngroups, ny, nx):
    d = (
        rng.normal(100, 5, (ny, nx))
        + rng.uniform(0, 40, (ny, nx)) * np.arange(1, ngroups + 1)[:, None, None]
    )
    d = np.broadcast_to(d, (nints, ngroups, ny, nx)) + rng.normal(0, 3, (nints, ngroups, ny, nx))
    d += rng.normal(0, 20, (nints, ngroups, 1, 1))
    d += rng.normal(0, 2, (nints, ngroups, ny, 1))
    return d.astype(np.float32)


ORIENTATIONS = [(-1, 2), (1, -2), (2, 1), (-2, -1)]


@pytest.mark.parametrize("fast,slow", ORIENTATIONS)
@pytest.mark.parametrize("n_threads", [1, 2])
def test_four_output_subarray_matches_reference(rng, fast, slow, n_threads):
    shape = (256, 2048) if abs(fast) == 1 else (2048, 256)
    origin = (0, 0) if fast > 0 else (2048 - shape[0], 2048 - shape[1])
    data = ramps(rng, 2, 2, *shape)
    dq = np.zeros(shape, np.uint32)
    dq[rng.integers(0, shape[0], 40), rng.integers(0, shape[1], 40)] = DNU
    expected = reference(data, dq, fast, slow, origin=origin, length=9, gain=0.8)
    got = subtract_refpix_nir(
        data,
        dq,
        fastaxis=fast,
        slowaxis=slow,
        xstart=origin[1] + 1,
        ystart=origin[0] + 1,
        side_smoothing_length=9,
        side_gain=0.8,
        n_threads=n_threads,
    )
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("odd_even,side", [(True, True), (False, False)])
def test_full_frame_matches_reference(rng, odd_even, side):
    data = ramps(rng, 1, 2, 2048, 2048)
    dq = np.zeros((2048, 2048), np.uint32)
    dq[2045, 10:20] = DNU
    dq[300:340, 2046] = DNU
    expected = reference(data, dq, -1, 2, odd_even=odd_even, side=side)
    got = subtract_refpix_nir(
        data,
        dq,
        fastaxis=-1,
        slowaxis=2,
        odd_even_columns=odd_even,
        use_side_ref_pixels=side,
        n_threads=2,
    )
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("length", [1, 10, 11, 60])
def test_side_running_median_edge_cases(rng, length):
    """The sliding window of the side medians: ties (integer values), NaN and DO_NOT_USE side
    pixels, windows with no usable pixel on one side, reflected ends, even lengths, and the
    float32 first group then float64 groups."""
    data = np.round(ramps(rng, 1, 3, 2048, 2048) / 4.0)
    data[0, :, 0:3, 1] = np.nan  # in the reflected window of the first rows
    data[0, 1, 2047, 2045] = np.nan
    data[0, 2, 1000:1003, 2044:2048] = np.nan
    dq = np.zeros((2048, 2048), np.uint32)
    dq[500:600, :4] = DNU  # windows with no usable left pixel
    dq[1500:1503, 2044:2046] = DNU
    dq[2040:2048, 2] = DNU
    expected = reference(data, dq, -1, 2, length=length)
    got = subtract_refpix_nir(
        data, dq, fastaxis=-1, slowaxis=2, side_smoothing_length=length, n_threads=2
    )
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("fast,slow", ORIENTATIONS)
@pytest.mark.parametrize("odd_even", [True, False])
def test_single_output_subarray_matches_reference(rng, fast, slow, odd_even):
    data = ramps(rng, 2, 3, 96, 80)
    dq = np.zeros((96, 80), np.uint32)
    dq[:4] |= REF
    dq[:, :4] |= REF
    dq[2, 30] |= DNU
    expected = reference(data, dq, fast, slow, origin=(0, 0), noutputs=1, odd_even=odd_even)
    got = subtract_refpix_nir(
        data, dq, fastaxis=fast, slowaxis=slow, noutputs=1, odd_even_columns=odd_even
    )
    np.testing.assert_array_equal(got, expected)


def test_threads_give_identical_results(rng):
    data = ramps(rng, 3, 3, 2048, 2048)
    dq = np.zeros((2048, 2048), np.uint32)
    one = subtract_refpix_nir(data, dq, fastaxis=2, slowaxis=1, n_threads=1)
    two = subtract_refpix_nir(data, dq, fastaxis=2, slowaxis=1, n_threads=2)
    np.testing.assert_array_equal(one, two)


def test_in_place_and_big_endian(rng):
    data = ramps(rng, 1, 2, 256, 2048)
    dq = np.zeros((256, 2048), np.uint32)
    expected = subtract_refpix_nir(data, dq, fastaxis=-1, slowaxis=2)
    big = subtract_refpix_nir(data.astype(">f4"), dq.astype(">u4"), fastaxis=-1, slowaxis=2)
    np.testing.assert_array_equal(big, expected)
    inplace = data.copy()
    assert subtract_refpix_nir(inplace, dq, fastaxis=-1, slowaxis=2, out=inplace) is inplace
    np.testing.assert_array_equal(inplace, expected)


def sirs_reference(group, kl, kr, sigreject=4.0):
    """SIRS written with whole-array NumPy operations on one detector-frame group."""
    d = group.astype(np.float64)
    n = d.shape[0]
    out = d.copy()
    sides = []
    for cols in (d[:, :4], d[:, -4:]):
        med = np.median(cols)
        good = np.abs(cols - med) <= sigreject * 1.48 * np.median(np.abs(cols - med))
        sides.append(((cols * good).sum(axis=1) / 4, good.sum(axis=1) / 4))
    for ch in range(kl.shape[0]):
        t = np.zeros(n)
        for (mean, cnt), k in zip(sides, (kl[ch], kr[ch]), strict=True):
            norm = np.convolve(np.ones(n), k, "same") / np.convolve(cnt, k, "same")
            t += np.convolve(mean, k, "same") * norm
        out[:, 512 * ch : 512 * (ch + 1)] -= t[:, None]
    return out


def test_sirs_matches_reference(rng):
    f = np.arange(1025)
    gamma = np.exp(-f / 40)[None] * rng.uniform(0.4, 0.6, (4, 1025)) + 0.01j
    zeta = np.exp(-f / 30)[None] * rng.uniform(0.4, 0.6, (4, 1025)) - 0.02j
    kl, kr = make_sirs_kernels(gamma, zeta, gaussmooth=1.5, halfwidth=20)
    assert kl.shape == (4, 41)
    data = ramps(rng, 1, 1, 2048, 2048)
    dq = np.zeros((2048, 2048), np.uint32)
    no_side = subtract_refpix_nir(data, dq, fastaxis=1, slowaxis=2, use_side_ref_pixels=False)
    expected = sirs_reference(no_side[0, 0], kl, kr).astype(np.float32)
    got = subtract_refpix_nir(data, dq, fastaxis=1, slowaxis=2, sirs_kernels=(kl, kr))
    # the convolutions may be summed in another order: float32 rounding, nothing more
    np.testing.assert_allclose(got[0, 0], expected, rtol=1e-6, atol=1e-5)


def test_sirs_kernels_are_smoothed_inverse_transforms():
    # a flat spectrum is a delta function: the kernel is the Gaussian window itself
    kl, kr = make_sirs_kernels(np.ones((2, 9)), 2 * np.ones((2, 9)), gaussmooth=1.0, halfwidth=3)
    x = np.arange(-3, 4)
    w = np.exp(-(x**2) / 2)
    w /= w.sum()
    np.testing.assert_allclose(kl[0], w, atol=1e-15)
    np.testing.assert_allclose(kr[1], 2 * w, atol=1e-15)


# ---------------------------------------------------------------- physics
def test_removes_amplifier_offsets_and_row_noise(rng):
    ng = 3
    ny = nx = 2048
    truth = rng.uniform(0, 30, (ny, nx)).astype(np.float32) * np.arange(1, ng + 1)[:, None, None]
    data = truth + rng.normal(0, 1.0, (ng, ny, nx))
    amp_off = rng.normal(0, 50, (ng, 4, 2))  # per group, amplifier, column parity
    cols = np.arange(nx)
    data += amp_off[:, cols // 512, cols % 2][:, None, :]
    rows_1f = np.cumsum(rng.normal(0, 0.3, (ng, ny)), axis=1)  # slow drifts along rows
    data += rows_1f[:, :, None]
    data = data.astype(np.float32)
    # reference pixels see no light
    for a in (slice(0, 4), slice(-4, None)):
        data[:, a, :] -= truth[:, a, :]
        data[:, :, a] -= truth[:, :, a]
    got = subtract_refpix_nir(data, np.zeros((ny, nx), np.uint32), fastaxis=1, slowaxis=2)
    resid = (got - truth)[:, 4:-4, 4:-4]
    before = (data - truth)[:, 4:-4, 4:-4]
    assert abs(resid.mean()) < 0.1
    # what is left is white noise plus the side-median noise: far below the injected drifts
    assert resid.mean(axis=2).std() < 0.3 * before.mean(axis=2).std()
    # every amplifier and column parity is back to zero (the injected offsets were ~50 DN)
    colmean = (got - truth)[:, 4:-4, :].mean(axis=1)
    colmean[:, :4] = colmean[:, -4:] = np.nan  # reference columns: no light to compare
    per_amp = np.nanmean(colmean.reshape(ng, 4, 256, 2), axis=2)
    assert np.abs(per_amp).max() < 0.15


@settings(max_examples=10)
@given(st.floats(-1000, 1000))
def test_constant_offset_is_removed(offset):
    rng = np.random.default_rng(7)
    data = ramps(rng, 1, 1, 128, 2048)
    dq = np.zeros(data.shape[-2:], np.uint32)
    a = subtract_refpix_nir(data, dq, fastaxis=1, slowaxis=2, use_side_ref_pixels=False)
    b = subtract_refpix_nir(
        (data + np.float32(offset)).astype(np.float32),
        dq,
        fastaxis=1,
        slowaxis=2,
        use_side_ref_pixels=False,
    )
    np.testing.assert_allclose(a, b, atol=2e-3 + 1e-6 * abs(offset))


# ---------------------------------------------------------------- validation
def test_validation_messages():
    d = np.zeros((1, 2, 64, 64), np.float32)
    dq = np.zeros((64, 64), np.uint32)
    with pytest.raises(ValueError, match="3-D or 4-D"):
        subtract_refpix_nir(np.zeros((64, 64), np.float32), dq, fastaxis=1, slowaxis=2)
    with pytest.raises(ValueError, match="pixeldq shape"):
        subtract_refpix_nir(d, np.zeros((64, 63), np.uint32), fastaxis=1, slowaxis=2)
    with pytest.raises(ValueError, match="does not fit"):
        subtract_refpix_nir(d, dq, fastaxis=1, slowaxis=2, xstart=2000)
    with pytest.raises(ValueError, match="fastaxis"):
        subtract_refpix_nir(d, dq, fastaxis=3, slowaxis=2)
    with pytest.raises(ValueError, match="out must be"):
        subtract_refpix_nir(d, dq, fastaxis=1, slowaxis=2, out=np.zeros((2, 64, 64), np.float32))
    with pytest.raises(ValueError, match="SIRS"):
        subtract_refpix_nir(
            d, dq, fastaxis=1, slowaxis=2, sirs_kernels=(np.ones((4, 5)), np.ones((4, 5)))
        )
    with pytest.raises(ValueError, match="n_threads"):
        subtract_refpix_nir(d, dq, fastaxis=1, slowaxis=2, n_threads=0)
    irs2 = np.zeros((1, 1, 3200, 2048), np.float32)
    with pytest.raises(ValueError, match="no side reference"):
        subtract_refpix_nir(
            irs2, np.zeros((3200, 2048), np.uint32), fastaxis=2, slowaxis=1, irs2=(16, 4)
        )


# ---------------------------------------------------------------- multistripe
def multistripe_reference(data, dq, fast, slow, fastmin, odd_even=True):
    out = np.empty_like(data)
    dqd = to_det(dq, fast, slow)
    usable = ((dqd & REF) != 0) & ((dqd & DNU) == 0)
    amp = (np.arange(dqd.shape[1]) + fastmin) // 512
    for i in range(data.shape[0]):
        for g in range(data.shape[1]):
            grp = data[i, g].copy()
            dg = to_det(grp, fast, slow)
            for a in range(4):
                cols = amp == a
                if not cols.any():
                    continue
                pars = [np.arange(dg.shape[1]) % 2 == p for p in (0, 1)] if odd_even else [cols]
                levs = [clip_mean(dg[usable & (cols & par)[None, :]], 3.0) for par in pars]
                if None in levs:
                    continue
                for par, lev in zip(pars, levs, strict=True):
                    dg[:, cols & par] -= lev
            out[i, g] = grp
    return out


@pytest.mark.parametrize("fast,slow,shape,fastmin", [(-1, 2, (24, 2048), 0), (2, 1, (700, 40), 9)])
@pytest.mark.parametrize("odd_even", [True, False])
def test_multistripe_matches_reference(rng, fast, slow, shape, fastmin, odd_even):
    from jwcore.refpix import subtract_refpix_multistripe

    data = ramps(rng, 2, 2, *shape)
    dq = np.zeros(shape, np.uint32)
    if abs(fast) == 1:
        dq[:4] |= REF
    else:
        dq[:, :4] |= REF
    dq[2, 3] |= DNU
    expected = multistripe_reference(data, dq, fast, slow, fastmin, odd_even)
    got = subtract_refpix_multistripe(
        data,
        dq,
        fastaxis=fast,
        slowaxis=slow,
        fastmin=fastmin,
        odd_even_columns=odd_even,
        n_threads=2,
    )
    np.testing.assert_array_equal(got, expected)


def test_superstripe_planes(rng):
    from jwcore.refpix import subtract_refpix_multistripe

    data = ramps(rng, 4, 2, 16, 2048)
    dq = np.zeros((2, 16, 2048), np.uint32)
    dq[0, :4] = REF
    dq[1, -4:] = REF
    got = subtract_refpix_multistripe(
        data, dq, fastaxis=-1, slowaxis=2, fastmin=0, num_superstripe=2
    )
    for i in range(4):
        one = subtract_refpix_multistripe(data[i], dq[i % 2], fastaxis=-1, slowaxis=2, fastmin=0)
        np.testing.assert_array_equal(got[i], one)
    with pytest.raises(ValueError, match="num_superstripe"):
        subtract_refpix_multistripe(data, dq, fastaxis=-1, slowaxis=2, fastmin=0)
