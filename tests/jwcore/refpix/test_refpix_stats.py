"""The reference-level statistics round exactly like NumPy/SciPy."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from jwcore.refpix import _nir


def reference_clipped_mean(values, siglimit):
    """What the JWST step computes: scipy's sigmaclip, skipped when the spread is zero."""
    if values.size == 0:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if np.std(values, dtype=np.float64) != 0.0:
            clipped, _, _ = stats.sigmaclip(values, siglimit, siglimit)
            return clipped.mean()
        return values.mean(dtype=np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clipped_mean_is_bit_identical(rng, dtype):
    for _ in range(300):
        n = int(rng.integers(1, 3000))
        v = (rng.normal(0, 4, n) + rng.normal(0, 300)).astype(dtype)
        k = int(rng.integers(0, 8))
        v[rng.integers(0, n, k)] += rng.normal(0, 100, k).astype(dtype)
        lim = float(rng.choice([2.0, 3.0, 4.5]))
        expected = reference_clipped_mean(v, lim)
        value, is_f64 = _nir.clipped_mean(v, lim)
        assert value == float(expected)
        assert is_f64 == (np.asarray(expected).dtype == np.float64)


def test_constant_values_give_a_float64_level():
    value, is_f64 = _nir.clipped_mean(np.full(17, 3.25, np.float32), 3.0)
    assert value == 3.25 and is_f64


def test_empty_and_nan():
    assert _nir.clipped_mean(np.zeros(0, np.float32), 3.0) == (None, False)
    v = np.arange(10, dtype=np.float32)
    v[3] = np.nan
    value, _ = _nir.clipped_mean(v, 3.0)
    assert np.isnan(value)
    assert np.isnan(float(reference_clipped_mean(v, 3.0)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_median_matches_numpy(rng, dtype):
    for n in list(range(1, 60)) + [1000, 8192]:
        v = rng.normal(0, 10, n).astype(dtype)
        if n > 5:
            v[:3] = v[3]  # ties
        assert _nir.median(v) == np.median(v)
    assert np.isnan(_nir.median(np.zeros(0, dtype)))
    assert np.isnan(_nir.median(np.array([1, np.nan, 2], dtype)))


@given(
    st.lists(st.floats(-1e4, 1e4, width=32), min_size=1, max_size=300),
    st.sampled_from([np.float32, np.float64]),
)
def test_clipped_mean_any_values(values, dtype):
    v = np.array(values, dtype)
    value, _ = _nir.clipped_mean(v, 3.0)
    assert v.min() <= value <= v.max()
    assert value == float(reference_clipped_mean(v, 3.0))
