import numpy as np
import pytest

from jwcore import dqflags
from jwcore.detector import benign_coeffs, linearize, prepare_linearity_coeffs

SAT = dqflags.group["SATURATED"]
NLC = dqflags.pixel["NO_LIN_CORR"]


def _poly32(x, c):
    """numpy Horner in single precision, as stcal's apply_polynomial."""
    r = c[-1] * x
    for j in range(c.shape[0] - 2, 0, -1):
        r += c[j]
        r *= x
    return r + c[0]


def _coeffs(rng, ny, nx, n=5):
    c = np.zeros((n, ny, nx), np.float32)
    c[1] = 1 + rng.normal(0, 0.01, (ny, nx))
    c[2] = rng.normal(2e-6, 5e-7, (ny, nx))
    if n > 3:
        c[3] = rng.normal(1e-11, 2e-12, (ny, nx))
    if n > 4:
        c[4] = rng.normal(0, 1e-16, (ny, nx))
    return c


@pytest.mark.parametrize("n_threads", [1, 2])
def test_group_path_equals_numpy(rng, n_threads):
    ny, nx = 19, 23
    data = rng.uniform(-100, 40000, (2, 6, ny, nx)).astype(np.float32)
    gdq = np.zeros(data.shape, np.uint8)
    gdq[0, 3:, 4, 5] = SAT
    gdq[1, 2, 7, 8] = SAT | 4
    c = _coeffs(rng, ny, nx)
    expected = np.where(gdq & SAT, data, _poly32(data, c))
    linearize(data, gdq, c, n_threads=n_threads)
    np.testing.assert_array_equal(data, expected)


def test_three_d_and_no_dq(rng):
    c = _coeffs(rng, 4, 5, n=3)
    data = rng.uniform(0, 3e4, (3, 4, 5)).astype(np.float32)
    expected = _poly32(data, c)
    linearize(data, None, c)
    np.testing.assert_array_equal(data, expected)


def test_prepare_flags_bad_coefficients(rng):
    c = _coeffs(rng, 6, 7)
    c[2, 1, 1] = np.nan
    c[1, 2, 2] = 0.0
    ref_dq = np.zeros((6, 7), np.uint32)
    ref_dq[3, 3] = NLC | 1
    pdq = np.zeros((6, 7), np.uint32)
    pdq[0, 0] = 4
    out, new = prepare_linearity_coeffs(c, ref_dq, pdq)
    ben = benign_coeffs(5)
    for y, x in ((1, 1), (2, 2), (3, 3)):
        np.testing.assert_array_equal(out[:, y, x], ben)
        assert new[y, x] & NLC
    assert new[3, 3] & 1 and new[0, 0] == 4
    assert np.isnan(c[2, 1, 1])  # input untouched
    assert not (new[4:, 4:] & NLC).any()


def test_read_level_matches_stcal(rng):
    stcal = pytest.importorskip("stcal.linearity.linearity")
    ny, nx, ngroups, nframes = 9, 11, 5, 4
    c = _coeffs(rng, ny, nx, n=4)
    ic = np.zeros_like(c)
    ic[1] = 1.0 / c[1]
    ic[2] = -c[2]
    ic[3] = 2 * c[2] ** 2 - c[3]
    rate = rng.uniform(10, 3000, (ny, nx))
    reads = [[g * nframes + f + 1 for f in range(nframes)] for g in range(ngroups)]
    t = np.array([np.mean(r) for r in reads])
    lin = rate[None] * t[:, None, None]
    data = (lin - c[2] * lin**2).astype(np.float32)[None]
    gdq = np.zeros(data.shape, np.uint8)
    gdq[0, 3:, 2, 3] = SAT
    gdq[0, 1:, 4, 4] = SAT
    theirs = data.copy()
    stcal.linearity_correction(
        theirs,
        gdq.copy(),
        np.zeros((ny, nx), np.uint32),
        c.copy(),
        np.zeros((ny, nx), np.uint32),
        dqflags.pixel,
        ilin_coeffs=ic.copy(),
        read_pattern=reads,
    )
    for n_threads in (1, 2):
        ours = data.copy()
        linearize(ours, gdq, c, inverse_coeffs=ic, read_pattern=reads, n_threads=n_threads)
        np.testing.assert_array_equal(ours, theirs)


def test_validation():
    c = np.zeros((3, 4, 5), np.float32)
    c[1] = 1
    with pytest.raises(ValueError, match="writeable C-contiguous native float32"):
        linearize(np.zeros((2, 4, 5), np.float64), None, c)
    with pytest.raises(ValueError, match="writeable C-contiguous native float32"):
        linearize(np.zeros((2, 4, 5), ">f4"), None, c)
    with pytest.raises(ValueError, match="coeffs has shape"):
        linearize(np.zeros((2, 4, 6), np.float32), None, c)
    with pytest.raises(ValueError, match="need a read_pattern"):
        linearize(
            np.zeros((2, 4, 5), np.float32), np.zeros((2, 4, 5), np.uint8), c, inverse_coeffs=c
        )
    with pytest.raises(ValueError, match="at least 2 coefficients"):
        benign_coeffs(1)
