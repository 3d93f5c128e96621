import numpy as np
import pytest
from scipy.ndimage import convolve1d

from jwcore import dqflags
from jwcore.refpix import (
    _irs2,
    apply_irs2_dq_table,
    flag_bad_refpix_irs2,
    make_irs2_mask,
    replace_bad_refpix_irs2,
    subtract_refpix_irs2,
)

N_TIMES = 712 * 2048


# ---------------------------------------------------------------- the FFT
@pytest.mark.parametrize("P,Q", [(1, 16), (3, 16), (5, 64), (89, 32), (13, 1024)])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_fft_matches_numpy(rng, P, Q, n_threads):
    x = rng.normal(size=P * Q) + 1j * rng.normal(size=P * Q)
    z = x.reshape(Q, P).T.copy()  # layout: z[n1, n2] = x[n1 + P n2]
    _irs2.fft(z, True, n_threads=n_threads)
    np.testing.assert_allclose(z.ravel(), np.fft.fft(x), rtol=0, atol=1e-12 * np.abs(x).sum())
    _irs2.fft(z, False, n_threads=n_threads)
    np.testing.assert_allclose(z.T.ravel(), x, rtol=0, atol=1e-13 * np.abs(x).max() * 10)


def test_fft_pruned_rows(rng):
    P, Q = 89, 64
    x = rng.normal(size=P * Q)
    keep = np.zeros(P, np.uint8)
    keep[[0, 1, 2, 86, 87, 88]] = 1
    z = np.ascontiguousarray(x.reshape(Q, P).T).astype(complex)
    _irs2.fft(z, True, keep)
    full = np.fft.fft(x).reshape(P, Q)
    np.testing.assert_allclose(z[keep == 1], full[keep == 1], atol=1e-10)
    spec = np.where(keep[:, None] == 1, full, 0)
    z = np.where(keep[:, None] == 1, full, np.nan)  # rows flagged zero are never read
    z = np.ascontiguousarray(z)
    _irs2.fft(z, False, keep)
    np.testing.assert_allclose(z.T.ravel(), np.fft.ifft(spec.ravel()), atol=1e-12)


def test_fft_rejects_bad_lengths():
    with pytest.raises(ValueError, match="odd P"):
        _irs2.fft(np.zeros((2, 16), complex), True)
    with pytest.raises(ValueError, match="odd P"):
        _irs2.fft(np.zeros((3, 24), complex), True)


# ---------------------------------------------------------------- slow reference
def to_det(a, fast, slow):
    if abs(fast) == 1:
        return a[..., :: np.sign(slow), :: np.sign(fast)]
    return np.swapaxes(a[..., :: np.sign(fast), :: np.sign(slow)], -1, -2)


def from_det(a, fast, slow):
    if abs(fast) == 1:
        return a[..., :: np.sign(slow), :: np.sign(fast)]
    return np.swapaxes(a, -1, -2)[..., :: np.sign(fast), :: np.sign(slow)]


def float32_line(x, y):
    n = np.float32(len(x))
    mx, my = x.mean(), y.mean()
    slope = ((x * y).sum() - n * mx * my) / ((x * x).sum() - n * mx**2)
    return my - slope * mx, slope


def reference(data, alpha, beta, fast, slow):
    """The IRS2 algorithm in plain NumPy (complex128 FFTs), one integration, 16/4/8."""
    det = to_det(data, fast, slow)
    ng, nr, nc = det.shape
    sec, row = nc // 5, 712
    i = np.arange(512)
    norm_u = i + 4 * ((i + 8) // 16)  # read position of the normal samples
    norm_t = i + 6 * ((i + 8) // 16)  # and their times
    j = np.arange(128)
    ref_u = j + 16 * (j // 4) + 8
    ref_t = j + 18 * (j // 4) + 9
    b = det.sum(axis=0, dtype=np.float64) / ng
    v = (det - b).astype(np.float32).reshape(ng, nr, 5, sec).transpose(2, 0, 1, 3).copy()
    v[0::2] = v[0::2, ..., ::-1]
    T = np.zeros((5, ng, nr, row), np.float32)
    T[..., norm_t] = v[..., norm_u]
    T[..., ref_t] = v[..., ref_u]
    t = (np.arange(nr * row, dtype=np.float32) - (nr * row - 1) / 2).astype(np.float32)
    t = t.reshape(nr, row)
    edge = [0, 1, 2, 3, nr - 4, nr - 3, nr - 2, nr - 1]
    for s in range(5):
        for g in range(ng):
            y = T[s, g, edge]
            a, sl = float32_line(t[edge][y != 0], y[y != 0])
            T[s, g] -= (a + t * sl) * (T[s, g] != 0)
    w = np.sin(np.arange(1, 32, dtype=np.float32) / 32.0 * np.pi)
    for g in range(ng):
        d = T[0, g].ravel()
        m = (d != 0).astype(np.float32)
        num, den = convolve1d(d, w, mode="wrap"), convolve1d(m, w, mode="wrap")
        num, den = np.where(den == 0, 0, num), np.where(den == 0, 1, den)
        T[0, g] += (num / den).reshape(nr, row) * (1 - m.reshape(nr, row))
    elen, blen = 5000, 30268
    taper = (np.cos(np.arange(elen) * np.pi / elen) + 1) / 2
    half = np.concatenate(
        (
            np.ones(blen),
            taper,
            np.zeros(N_TIMES // 2 - 2 * (blen + elen)),
            taper[::-1],
            np.ones(blen),
        )
    )
    aa = np.concatenate((half, np.roll(half, -1)[::-1]))
    normal = np.zeros((nr, row), bool)
    normal[:, norm_t] = True
    for g in range(ng):
        p = T[0, g].ravel().copy()
        known = p[normal.ravel()]
        for _ in range(3):
            p = np.fft.ifft(np.fft.fft(p) * aa).real.astype(np.float32)
            p[normal.ravel()] = known
        T[0, g] = p.reshape(nr, row)
    f0 = np.fft.fft(T[0].reshape(ng, -1))
    block = np.arange(32)[:, None] * 22
    spread_t = (block + np.arange(7, 15)).ravel()
    spread_s = (block + np.array([9, 11, 9, 11, 10, 12, 10, 12])).ravel()
    for k in range(1, 5):
        r0 = np.zeros((ng, nr, row))
        r0[..., spread_t] = T[k][..., spread_s]
        x = beta[k - 1] * np.fft.fft(r0.reshape(ng, -1)) + alpha[k - 1] * f0
        T[k] -= np.fft.ifft(x).real.reshape(ng, nr, row).astype(np.float32)
    sci = T[1:, ..., norm_t]
    sci[1::2] = sci[1::2, ..., ::-1]
    out = sci.transpose(1, 2, 0, 3).reshape(ng, nr, 4 * 512)
    out = (out + b[:, make_irs2_mask(nc, nr, 16, 4)]).astype(np.float32)
    return from_det(out, fast, slow)


def irs2_data(rng, ngroups, drift=None):
    shape = (3200, 2048)
    base = rng.normal(1000, 20, shape)
    rate = rng.uniform(0, 30, shape)
    d = base + rate * np.arange(1, ngroups + 1)[:, None, None]
    d = d + rng.normal(0, 5, d.shape) + rng.normal(0, 3, (ngroups, 1, 2048))
    return d.astype(np.float32)


def coefficients(rng):
    f = np.minimum(np.arange(N_TIMES), N_TIMES - np.arange(N_TIMES))
    env = np.exp(-f / 3e4)
    alpha = env * rng.uniform(0.5, 1.0, (4, N_TIMES)) + 0.05j * env
    beta = np.exp(-f / 1e4) * rng.uniform(-0.5, 0.5, (4, N_TIMES)) - 0.02j
    return alpha.astype(np.complex64), beta.astype(np.complex64)


def close_enough(got, expected):
    # double-precision FFTs in another order: float32 rounding only (1 ulp near 1000 DN)
    tol = 1e-4 + 2 * np.spacing(np.abs(expected))
    assert np.all(np.abs(got.astype(np.float64) - expected) <= tol)


@pytest.mark.slow
def test_matches_reference(rng):
    # three groups: a pair packed in one complex transform, and a group on its own
    alpha, beta = coefficients(rng)
    data = irs2_data(rng, 3)
    expected = reference(data, alpha, beta, -2, -1)
    got = subtract_refpix_irs2(data, alpha, beta, fastaxis=-2, slowaxis=-1, n_threads=2)
    assert got.shape == (3, 2048, 2048)
    close_enough(got, expected)


@pytest.mark.slow
def test_threads_give_identical_results(rng):
    alpha, beta = coefficients(rng)
    data = irs2_data(rng, 2)
    one = subtract_refpix_irs2(data, alpha, beta, n_threads=1)
    two = subtract_refpix_irs2(data, alpha, beta, n_threads=2)
    np.testing.assert_array_equal(one, two)


@pytest.mark.slow
def test_common_mode_drift_is_removed(rng):
    """alpha = 1, beta = 0: the filled reference output, read at the same instants, is
    subtracted from every output, which removes a drift common to all of them."""
    alpha = np.ones((4, N_TIMES), np.complex64)
    beta = np.zeros((4, N_TIMES), np.complex64)
    t = np.arange(N_TIMES, dtype=np.float64).reshape(2048, 712)
    ng = 2
    drift = np.stack([20 * np.sin(2 * np.pi * t / (2000 + 700 * g) + g) for g in range(ng)])
    # every output samples the drift at its own read times (tpos), reads run backwards on
    # outputs 0, 2 and 4
    i = np.arange(512)
    j = np.arange(128)
    tpos = np.empty(640, int)
    tpos[i + 4 * ((i + 8) // 16)] = i + 6 * ((i + 8) // 16)
    tpos[j + 16 * (j // 4) + 8] = j + 18 * (j // 4) + 9
    det = np.empty((ng, 2048, 3200), np.float32)
    for s in range(5):
        u = np.arange(640)[::-1] if s % 2 == 0 else np.arange(640)
        det[:, :, s * 640 : (s + 1) * 640] = drift[:, :, tpos[u]]
    data = (1000 + np.swapaxes(det, 1, 2)).astype(np.float32)  # NRS1 orientation
    got = subtract_refpix_irs2(data, alpha, beta, fastaxis=2, slowaxis=1)
    injected = np.swapaxes(det[:, :, 640:], 1, 2)
    step_in = injected[1] - injected[0]
    step_out = got[1] - got[0]
    inner = slice(8, -8)  # the line fit and the filter edges are cruder at the ends
    assert np.std(step_in[:, inner]) > 10
    assert np.std(step_out[:, inner]) < 0.05 * np.std(step_in[:, inner])


def test_validation_messages(rng):
    d = np.zeros((1, 3200, 2048), np.float32)
    good = np.zeros((4, N_TIMES), np.complex64)
    with pytest.raises(ValueError, match="alpha must have shape"):
        subtract_refpix_irs2(d, np.zeros((4, 10)), good)
    with pytest.raises(ValueError, match="3-D or 4-D"):
        subtract_refpix_irs2(d[0], good, good)
    with pytest.raises(ValueError, match="5 outputs"):
        subtract_refpix_irs2(np.zeros((1, 3201, 2048), np.float32), good, good)
    with pytest.raises(ValueError, match="do not fill"):
        subtract_refpix_irs2(d, good, good, scipix_n=16, refpix_r=2)
    with pytest.raises(ValueError, match="out must be"):
        subtract_refpix_irs2(d, good, good, out=np.zeros((1, 2048, 2048), np.float64))


# ---------------------------------------------------------------- bad reference pixels
BAD = dqflags.pixel["BAD_REF_PIXEL"]


def test_flag_and_replace(rng):
    data = rng.normal(0, 5, (2, 2, 3200, 2048)).astype(np.float32)
    data[:, :, 708] += 300  # pair (708, 709): interleaved rows of output 1, first pair
    dq = np.zeros((3200, 2048), np.uint32)
    dq[1290, 7] = BAD  # already flagged: stays flagged, never used as a source
    bad = flag_bad_refpix_irs2(data, dq)
    assert bad[708] and bad[709] and bad[1290]
    assert bad.sum() < 20  # a few 3-sigma outliers of pure noise are expected
    before = data.copy()
    replace_bad_refpix_irs2(data, bad)
    # both neighbours one period (20 rows) away are good: their mean
    expected = (before[:, :, 688] + before[:, :, 728]) * np.float32(0.5)
    np.testing.assert_array_equal(data[:, :, 708], expected)
    untouched = ~bad
    np.testing.assert_array_equal(data[:, :, untouched], before[:, :, untouched])


def test_dq_table_replaces_listed_blocks(rng):
    data = rng.normal(0, 5, (1, 1, 3200, 2048)).astype(np.float32)
    dq = np.zeros((3200, 2048), np.uint32)
    before = data.copy()
    # output 1, first pair, block 3: detector columns 640 + 8 + 3 * 20 + (0, 1); for NRS1
    # (fastaxis 2) detector columns are stored rows
    apply_irs2_dq_table(data, dq, np.array([1]), np.array([1]), np.array([1 << 3]))
    changed = np.flatnonzero((data != before).any(axis=(0, 1, 3)))
    assert changed.tolist() == [708, 709]
    np.testing.assert_array_equal(
        data[0, 0, 708], (before[0, 0, 688] + before[0, 0, 728]) * np.float32(0.5)
    )
    # the even outputs are read backwards: parity 1 there means the second pair
    data2 = before.copy()
    apply_irs2_dq_table(data2, dq, np.array([2]), np.array([1]), np.array([1]))
    changed = np.flatnonzero((data2 != before).any(axis=(0, 1, 3)))
    assert changed.tolist() == [1280 + 8 + 2, 1280 + 8 + 3]
