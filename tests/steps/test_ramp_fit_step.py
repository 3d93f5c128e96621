import numpy as np
import pytest
from synthetic_ramps import gain_model, ramp_model, readnoise_model

from jwcal import datamodels as dm
from jwcal.dqflags import group as GROUP
from jwcal.dqflags import pixel as PIXEL
from jwcal.steps.ramp_fit import RampFitStep

DNU, SAT, JUMP = GROUP["DO_NOT_USE"], GROUP["SATURATED"], GROUP["JUMP_DET"]


def refs(m, gain=2.0, rn=10.0):
    return {"override_gain": gain_model(m, gain), "override_readnoise": readnoise_model(m, rn)}


def rates(rng, shape=(20, 24)):
    return rng.uniform(0.5, 200.0, shape)


def test_exact_lines_give_their_slopes(rng):
    rate = rates(rng)
    m = ramp_model(rate, nints=2, ngroups=7, bias=500.0)
    out, ints = RampFitStep.call(m, **refs(m))
    assert isinstance(out, dm.ImageModel) and isinstance(ints, dm.CubeModel)
    assert out.data.shape == rate.shape and ints.data.shape == (2,) + rate.shape
    np.testing.assert_allclose(out.data, rate, rtol=1e-5)
    np.testing.assert_allclose(ints.data, np.broadcast_to(rate, ints.data.shape), rtol=1e-5)
    for model in (out, ints):
        assert model.meta.cal_step.ramp_fit == "COMPLETE"
        assert model.meta.bunit_data == "DN/s" and model.meta.bunit_err == "DN/s"
        assert (model.dq == 0).all()
        np.testing.assert_allclose(model.err**2, model.var_poisson + model.var_rnoise, rtol=1e-5)
    assert out.meta.ref_file.gain.name == "user-supplied model"


def test_first_and_last_group(rng):
    rate = rates(rng)
    m = ramp_model(rate, ngroups=8)
    m.data[0, 0] += 1000.0  # garbage outside the range
    m.data[0, 7] -= 1000.0
    out, _ = RampFitStep.call(m, firstgroup=1, lastgroup=6, **refs(m))
    np.testing.assert_allclose(out.data, rate, rtol=1e-5)
    whole, _ = RampFitStep.call(m, **refs(m))
    assert not np.allclose(whole.data, rate, rtol=1e-3)


def test_likely_falls_back_to_ols_below_four_groups(rng):
    m = ramp_model(rates(rng), ngroups=3, read_noise=10.0, rng=rng)
    ols, _ = RampFitStep.call(m, **refs(m))
    likely, _ = RampFitStep.call(m, algorithm="LIKELY", **refs(m))
    np.testing.assert_array_equal(ols.data, likely.data)


def test_likely(rng):
    rate = rates(rng)
    m = ramp_model(rate, nints=2, ngroups=6)
    out, ints = RampFitStep.call(m, algorithm="likely", **refs(m))
    np.testing.assert_allclose(out.data, rate, rtol=1e-4)
    assert ints.data.shape == (2,) + rate.shape


def test_save_opt_writes_fitopt(rng, tmp_path):
    m = ramp_model(rates(rng), ngroups=6, read_noise=10.0, rng=rng)
    m.data[0, 3:, 2, 2] += 500.0
    m.groupdq[0, 3, 2, 2] = JUMP
    RampFitStep.call(m, save_opt=True, output_dir=str(tmp_path), **refs(m))
    path = tmp_path / "jw01_test_fitopt.fits"
    assert path.exists()
    opt = dm.open(path)
    assert opt.slope.shape[:2] == (1, 2) and opt.slope.shape[2:] == m.shape[-2:]
    assert opt.crmag.shape[1] >= 1 and opt.crmag[0, 0, 2, 2] > 400
    RampFitStep.call(
        m, algorithm="LIKELY", save_opt=True, output_dir=str(tmp_path), opt_name="x.fits", **refs(m)
    )
    assert (tmp_path / "x_likely_chisq.fits").exists()


def test_gain_factor_is_kept_for_gain_scale(rng):
    m = ramp_model(rates(rng), ngroups=4)
    r = refs(m)
    r["override_gain"].meta.exposure.gain_factor = 1.5
    out, ints = RampFitStep.call(m, **r)
    assert out.meta.exposure.gain_factor == 1.5 and ints.meta.exposure.gain_factor == 1.5


def test_miri_drops_groups_flagged_everywhere(rng):
    """As jwst for MIRI: leading groups DO_NOT_USE in every pixel are left out (the new
    first group loses its JUMP_DET), as is such a last group."""
    rate = rates(rng)
    kw = dict(ngroups=8, instrument="MIRI", detector="MIRIMAGE", frame_time=2.775)
    m = ramp_model(rate, **kw)
    m.data[0, 2:, 3, 3] += 300.0  # a jump into group 2, which becomes the first
    m.groupdq[:, :2] |= DNU
    m.groupdq[:, -1] |= DNU
    m.groupdq[0, 2, 3, 3] |= JUMP
    out, _ = RampFitStep.call(m, **refs(m))
    np.testing.assert_allclose(out.data, rate, rtol=1e-5)


def test_miri_without_two_usable_groups_is_nan(rng):
    kw = dict(ngroups=3, instrument="MIRI", detector="MIRIMAGE", frame_time=2.775)
    m = ramp_model(rates(rng), **kw)
    m.groupdq[:, :2] |= DNU
    out, ints = RampFitStep.call(m, **refs(m))
    assert np.isnan(out.data).all() and (out.dq & PIXEL["DO_NOT_USE"]).all()


def test_saturated_and_one_group_ramps(rng):
    rate = rates(rng)
    m = ramp_model(rate, ngroups=5)
    m.groupdq[0, :, 0, 0] = SAT  # saturated from the start
    m.groupdq[0, 1:, 0, 1] = SAT  # only the first group is good
    m.groupdq[0, 2:, 0, 2] = SAT  # two good groups
    out, _ = RampFitStep.call(m, **refs(m))
    assert np.isnan(out.data[0, 0]) and out.dq[0, 0] & PIXEL["SATURATED"]
    # suppress_one_group (the default) gives the one-good-group ramp no rate
    assert np.isnan(out.data[0, 1])
    assert out.data[0, 2] == pytest.approx(rate[0, 2], rel=1e-5)
    kept, _ = RampFitStep.call(m, suppress_one_group=False, **refs(m))
    assert kept.data[0, 1] == pytest.approx(rate[0, 1], rel=1e-3)


def test_every_ramp_saturated_gives_nan_products(rng):
    m = ramp_model(rates(rng), ngroups=4)
    m.groupdq[...] = SAT
    out, ints = RampFitStep.call(m, **refs(m))
    assert np.isnan(out.data).all()
    assert ((out.dq & (PIXEL["DO_NOT_USE"] | PIXEL["SATURATED"])) != 0).all()


def test_threads_give_the_same_rates(rng):
    m = ramp_model(rates(rng, (64, 64)), nints=2, ngroups=6, read_noise=10.0, rng=rng)
    one, _ = RampFitStep.call(m, maximum_cores="1", **refs(m))
    two, _ = RampFitStep.call(m, maximum_cores="2", **refs(m))
    np.testing.assert_array_equal(one.data, two.data)
    np.testing.assert_array_equal(one.err, two.err)


def test_missing_references_skip(rng):
    m = ramp_model(rates(rng), ngroups=4)
    out = RampFitStep.call(m, override_gain="N/A", override_readnoise="N/A")
    assert isinstance(out, dm.RampModel) and out.meta.cal_step.ramp_fit == "SKIPPED"


@pytest.mark.parametrize("nints,ngroups", [(1, 10), (3, 5), (2, 7), (4, 3), (1, 4)])
def test_products_laid_over_the_ramps(rng, nints, ngroups):
    """The step writes the OLS products into its own ramps where they fit: the numbers
    are those of products allocated apart, and the caller's model is left alone."""
    from jwcal.steps.ramp_fit.fitting import products_over_ramps

    rate = rates(rng)
    m = ramp_model(rate, nints=nints, ngroups=ngroups, bias=500.0)
    m.data += rng.normal(0, 3, m.data.shape).astype(np.float32)
    before = m.data.copy()
    out, ints = RampFitStep.call(m, **refs(m))
    np.testing.assert_array_equal(m.data, before)
    data = np.array(before)
    rate_out, ints_out = products_over_ramps(data)
    assert (ints_out is None) == (ngroups < 5)
    assert (rate_out is None) == (nints * ngroups - (5 * nints if ngroups >= 5 else 0) < 5)
    for products in (rate_out, ints_out):
        if products is not None:
            assert all(np.shares_memory(a, data) for a in products.as_tuple())
    m2 = dm.RampModel(m)
    m2.data = data
    out2, ints2 = RampFitStep(**refs(m)).run(m2)
    for a, b in ((out, out2), (ints, ints2)):
        for name in ("data", "dq", "var_poisson", "var_rnoise", "err"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize("algorithm", ["OLS_C", "LIKELY"])
@pytest.mark.parametrize("nints,ngroups", [(1, 10), (3, 5), (2, 4)])
def test_products_over_the_ramps_equal_allocated_ones(rng, monkeypatch, algorithm, nints, ngroups):
    """Both algorithms' products written over the step's ramps are the bits of products
    allocated apart (the placement switched off)."""
    from jwcal.steps.ramp_fit import fitting

    m = ramp_model(rates(rng), nints=nints, ngroups=ngroups, bias=500.0)
    m.data += rng.normal(0, 3, m.data.shape).astype(np.float32)
    m.data[:, 2:, 3, 4] += 800.0  # a jump for LIKELY's test to find
    over = RampFitStep.call(m, algorithm=algorithm, **refs(m))
    monkeypatch.setattr(fitting, "products_over_ramps", lambda data: (None, None))
    apart = RampFitStep.call(m, algorithm=algorithm, **refs(m))
    for a, b in zip(over, apart, strict=True):
        for name in ("data", "dq", "var_poisson", "var_rnoise", "err"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    if algorithm == "LIKELY":
        assert over[0].dq[3, 4] & PIXEL["JUMP_DET"]
