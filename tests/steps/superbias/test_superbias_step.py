import numpy as np
from ramps_testdata import ramp, ref_image

from jwcal import datamodels as dm
from jwcal.dqflags import pixel as PIXEL
from jwcal.steps.superbias import SuperBiasStep


def _bias(rng):
    bias = ref_image(dm.SuperBiasModel, 0.0)
    bias.data = rng.normal(1000, 10, bias.data.shape).astype(np.float32)
    bias.data[20, 15] = np.nan
    bias.dq[21, 16] = PIXEL["UNRELIABLE_BIAS"]
    return bias


def test_subtracts_the_cut_bias(rng):
    from ramps_testdata import cut

    m = ramp(rng, zeroframe=True)
    m.zeroframe[0, 2, 3] = 0.0
    bias = _bias(rng)
    out = SuperBiasStep.call(m, override_superbias=bias)
    b = cut(bias.data)
    b = np.where(np.isnan(b), 0.0, b)
    np.testing.assert_array_equal(out.data, m.data - b[None, None].astype(np.float32))
    # the NaN bias pixel is left as it is
    np.testing.assert_array_equal(out.data[:, :, 20 - 16, 15 - 8], m.data[:, :, 4, 7])
    assert out.pixeldq[21 - 16, 16 - 8] & PIXEL["UNRELIABLE_BIAS"]
    # ZEROFRAME: corrected, except the zeros which mark unusable values
    assert out.zeroframe[0, 2, 3] == 0.0
    np.testing.assert_array_equal(out.zeroframe[1], m.zeroframe[1] - b)
    assert out.meta.cal_step.superbias == "COMPLETE"


def test_not_applicable(rng):
    out = SuperBiasStep.call(ramp(rng), override_superbias="N/A")
    assert out.meta.cal_step.superbias == "SKIPPED"


def test_dq_def_table_maps_reference_bits(rng):
    bias = _bias(rng)
    bias.dq[:] = 0
    bias.dq[20, 20] = 4  # bit 2 of this file means DEAD according to its DQ_DEF
    bias.dq_def = np.array([(2, 4, "DEAD", "dead")], dtype=list(dm.reference.DQ_DEF_COLUMNS))
    out = SuperBiasStep.call(ramp(rng), override_superbias=bias)
    assert out.pixeldq[20 - 16, 20 - 8] == PIXEL["DEAD"]
