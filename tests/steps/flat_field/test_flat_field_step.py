import numpy as np
import pytest
from ramps_testdata import REF, SCI, cut, set_meta

from jwcal import datamodels as dm
from jwcal.dqflags import pixel as PIXEL
from jwcal.errors import InputError
from jwcal.steps.flat_field import FlatFieldStep


def _rate(rng, shape=(24, 40), cls=dm.ImageModel):
    m = cls(rng.uniform(1, 10, shape).astype(np.float32))
    m.err = np.full(shape, 0.5, np.float32)
    m.var_poisson = np.full(shape, 0.15, np.float32)
    m.var_rnoise = np.full(shape, 0.1, np.float32)
    m.dq = np.zeros(shape, np.uint32)
    return set_meta(m, SCI)


def _flat(rng):
    x0, y0, nx, ny = REF
    f = dm.FlatModel(rng.uniform(0.8, 1.2, (ny, nx)).astype(np.float32))
    f.err = np.full((ny, nx), 0.01, np.float32)
    f.dq = np.zeros((ny, nx), np.uint32)
    f.data[20, 10] = np.nan
    f.data[20, 11] = 0.0
    f.dq[20, 12] = PIXEL["NO_FLAT_FIELD"]
    f.dq[20, 13] = PIXEL["UNRELIABLE_FLAT"]
    return set_meta(f, REF, reftype="FLAT")


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_divides_and_propagates(rng):
    m = _rate(rng)
    flat = _flat(rng)
    out = FlatFieldStep.call(m, override_flat=flat)
    assert out.meta.cal_step.flat_field == "COMPLETE"
    f = cut(flat.data)
    ok = np.isfinite(f) & (f != 0) & ((cut(flat.dq) & PIXEL["NO_FLAT_FIELD"]) == 0)
    np.testing.assert_allclose(out.data[ok], (m.data / f)[ok], rtol=1e-6)
    vf = (m.data / f) ** 2 / f**2 * np.float32(0.01) ** 2
    np.testing.assert_allclose(out.var_flat[ok], vf[ok], rtol=1e-5)
    np.testing.assert_allclose(out.var_poisson[ok], (0.15 / f**2)[ok], rtol=1e-6)
    np.testing.assert_allclose(
        out.err[ok], np.sqrt(out.var_poisson + out.var_rnoise + out.var_flat)[ok], rtol=1e-6
    )
    y = 20 - 16
    for x in (10 - 8, 11 - 8, 12 - 8):  # NaN, zero, NO_FLAT_FIELD: not corrected, flagged
        assert out.dq[y, x] & PIXEL["NO_FLAT_FIELD"] and out.dq[y, x] & PIXEL["DO_NOT_USE"]
        assert np.isnan(out.data[y, x]) and np.isnan(out.err[y, x])  # DO_NOT_USE -> NaN
    assert out.dq[y, 13 - 8] == PIXEL["UNRELIABLE_FLAT"]


def test_inverse_undoes(rng):
    m = _rate(rng)
    flat = _flat(rng)
    flat.data[20, 10:12] = 1.0
    flat.dq[20, 12] = 0
    there = FlatFieldStep.call(m, override_flat=flat)
    back = FlatFieldStep.call(there, override_flat=flat, inverse=True)
    np.testing.assert_allclose(back.data, m.data, rtol=1e-6)
    assert not back.var_flat.any()


def test_cubes_guider_data_and_skips(rng):
    cube = _rate(rng, (3, 24, 40), dm.CubeModel)
    flat = _flat(rng)
    out = FlatFieldStep.call(cube, override_flat=flat)
    np.testing.assert_allclose(out.data[:, 0, 0], cube.data[:, 0, 0] / cut(flat.data)[0, 0])
    g = dm.GuiderCalModel(np.ones((2, 24, 40), np.float32))
    g.err = np.full((2, 24, 40), 0.1, np.float32)
    g.dq = np.zeros((24, 40), np.uint32)
    set_meta(g, SCI)
    gout = FlatFieldStep.call(g, override_flat=flat)
    assert np.isfinite(gout.err[:, 0, 0]).all() and (gout.err[:, 0, 0] > 0.1).all()
    assert FlatFieldStep.call(_rate(rng), override_flat="N/A").meta.cal_step.flat_field == (
        "SKIPPED"
    )
    small = _flat(rng)
    small.data = small.data[:10, :10]
    small.dq = small.dq[:10, :10]
    small.err = small.err[:10, :10]
    assert FlatFieldStep.call(_rate(rng), override_flat=small).meta.cal_step.flat_field == (
        "SKIPPED"
    )


def test_nirspec_spectra_are_not_supported(rng):
    m = _rate(rng)
    m.meta.instrument.name = "NIRSPEC"
    m.meta.instrument.detector = "NRS1"
    m.meta.exposure.type = "NRS_FIXEDSLIT"
    with pytest.raises(InputError, match="not available in jwcal"):
        FlatFieldStep.call(m)


def test_user_supplied_flat(rng, tmp_path):
    path = _flat(rng).save(tmp_path / "my_flat.fits")
    out = FlatFieldStep.call(_rate(rng), user_supplied_flat=str(path))
    assert out.meta.cal_step.flat_field == "COMPLETE"
    assert out.meta.ref_file.flat.name == "my_flat.fits"
