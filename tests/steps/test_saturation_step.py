import numpy as np
import pytest
from jwcal_testdata import SCI_REGION, make_saturation

from jwcal import datamodels as dm
from jwcal.dqflags import group as GROUP
from jwcal.dqflags import pixel as PIXEL
from jwcal.errors import InputError
from jwcal.steps.saturation import SaturationStep

SAT, DNU, FLOOR = GROUP["SATURATED"], GROUP["DO_NOT_USE"], GROUP["AD_FLOOR"]


def _cut(arr):
    x0, y0, nx, ny = SCI_REGION
    return arr[y0 - 1 : y0 - 1 + ny, x0 - 1 : x0 - 1 + nx]


def _run(src, refs, **kw):
    return SaturationStep.call(
        src, override_saturation=refs["saturation"], override_superbias=refs["superbias"], **kw
    )


def test_flags_and_pixeldq(uncal, refs):
    out = _run(str(uncal), refs)
    assert isinstance(out, dm.RampModel) and out.meta.cal_step.saturation == "COMPLETE"
    ref = make_saturation()
    thr, sdq = _cut(ref.data), _cut(ref.dq)
    raw = dm.open(uncal).data.astype(np.float32)
    # every group at or above the threshold, and every later one, is SATURATED
    checked = ~np.isnan(thr) & ((sdq & PIXEL["NO_SAT_CHECK"]) == 0)
    above = (raw >= thr) & checked
    first = np.maximum.accumulate(above, axis=1)
    assert above.any()
    assert ((out.groupdq & SAT) != 0)[first].all()
    # groups at 0 DN are A/D floor and DO_NOT_USE
    floor = raw <= 0
    assert floor.any() and ((out.groupdq[floor] & (FLOOR | DNU)) == FLOOR | DNU).all()
    # exempt pixels: never saturated, NO_SAT_CHECK in PIXELDQ (NaN thresholds too)
    exempt = ~checked
    assert not (out.groupdq[:, :, exempt] & SAT).any()
    assert (out.pixeldq[exempt] & PIXEL["NO_SAT_CHECK"]).all()
    assert ((out.pixeldq & sdq) == sdq).all()
    assert out.meta.ref_file.saturation.name == refs["saturation"]
    assert out.meta.ref_file.superbias.name == refs["superbias"]
    # saturated zero-frame pixels are zeroed
    assert out.zeroframe[0, 3, 4] == 0


def test_growth_and_read_pattern_parameters(uncal, refs):
    grown = _run(str(uncal), refs)
    alone = _run(str(uncal), refs, n_pix_grow_sat=0)
    flat = _run(str(uncal), refs, n_pix_grow_sat=0, use_readpatt=False)
    n = [int(((m.groupdq & SAT) != 0).sum()) for m in (grown, alone)]
    assert n[0] > n[1]
    # the read-pattern checks only ever add DO_NOT_USE flags
    assert (alone.groupdq & ~flat.groupdq & ~np.uint8(DNU) == 0).all()
    assert ((alone.groupdq & DNU) >= (flat.groupdq & DNU)).all()


def test_not_applicable_reference_skips(uncal, refs):
    out = SaturationStep.call(str(uncal), override_saturation="N/A", override_superbias="N/A")
    assert out.meta.cal_step.saturation == "SKIPPED" and not out.groupdq.any()


def test_bias_is_optional(uncal, refs):
    out = SaturationStep.call(
        str(uncal), override_saturation=refs["saturation"], override_superbias="N/A"
    )
    assert out.meta.cal_step.saturation == "COMPLETE"


def test_thread_count_does_not_change_the_result(uncal, refs):
    from jwcal.stpipe import set_threads

    one = _run(str(uncal), refs)
    old = set_threads(2)
    try:
        two = _run(str(uncal), refs)
    finally:
        set_threads(old)
    np.testing.assert_array_equal(one.groupdq, two.groupdq)


def test_irs2_layout_needs_matching_references(rng, tmp_path):
    from jwcal_testdata import make_irs2

    raw, sat, bias = make_irs2(rng, ngroups=3, nx=256)
    sat_path = sat.save(tmp_path / "sat.fits")
    bias_path = bias.save(tmp_path / "bias.fits")
    out = SaturationStep.call(
        raw, override_saturation=str(sat_path), override_superbias=str(bias_path)
    )
    assert out.meta.cal_step.saturation == "COMPLETE" and out.groupdq.shape == raw.data.shape
    small = dm.SaturationModel()
    small.data = sat.data[:100]
    small.dq = sat.dq[:100]
    small.meta.instrument.name = "NIRSPEC"
    bad = small.save(tmp_path / "small_sat.fits")
    with pytest.raises(InputError, match="IRS2 data need the"):
        SaturationStep.call(raw, override_saturation=str(bad), override_superbias="N/A")
