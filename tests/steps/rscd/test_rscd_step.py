import numpy as np
from ramps_testdata import REF, ramp, set_meta

from jwcal import datamodels as dm
from jwcal.dqflags import group as GROUP
from jwcal.dqflags import pixel as PIXEL
from jwcal.steps.rscd import RscdStep

DNU = GROUP["DO_NOT_USE"]


def _rscd(skip1=2, skip2=3, sub="SUBTEST", readpatt="FAST"):
    ref = dm.RSCDModel()
    cols = dm.RSCDModel.schema_def.tables["rscd_group_skip_table"].columns
    ref.rscd_group_skip_table = np.array([(sub, readpatt, skip1, skip2)], dtype=list(cols))
    return set_meta(ref, REF, instrument="MIRI", detector="MIRIMAGE", reftype="RSCD")


def _miri(rng, ngroups=10, nints=3):
    return ramp(
        rng, nints=nints, ngroups=ngroups, instrument="MIRI", detector="MIRIMAGE", readpatt="FAST"
    )


def test_flags_first_groups_per_integration(rng):
    m = _miri(rng)
    out = RscdStep.call(m, override_rscd=_rscd())
    assert out.meta.cal_step.rscd == "COMPLETE"
    dnu = (out.groupdq & DNU) != 0
    assert dnu[0, :2].all() and not dnu[0, 2:].any()
    assert dnu[1:, :3].all() and not dnu[1:, 3:].any()
    assert out.meta.rscd.ngroups_skip_int1 == 2 and out.meta.rscd.ngroups_skip_int2p == 3


def test_backs_off_for_early_saturation(rng):
    m = _miri(rng)
    # group 4 on saturated: groups 1-3 are usable, so 1 is flagged and 2 remain for a slope
    m.groupdq[1:, 3:, 5, 6] = GROUP["SATURATED"]
    m.groupdq[1:, 0:, 7, 8] = GROUP["SATURATED"]  # saturated from the start: not backed off
    out = RscdStep.call(m, override_rscd=_rscd())
    assert ((out.groupdq[1:, :, 5, 6] & DNU) != 0).sum(axis=1).tolist() == [1, 1]
    assert out.pixeldq[5, 6] & PIXEL["FLUX_ESTIMATED"]
    assert not out.pixeldq[7, 8] & PIXEL["FLUX_ESTIMATED"]
    assert out.meta.rscd.keep_groups_saturation_int2p == 1


def test_few_groups_and_missing_rows(rng):
    few = RscdStep.call(_miri(rng, ngroups=5), override_rscd=_rscd(4, 4))
    assert ((few.groupdq[:, :, 0, 0] & DNU) != 0).sum(axis=1).tolist() == [1, 1, 1]
    short = RscdStep.call(_miri(rng, ngroups=6), override_rscd=_rscd(5, 5))
    assert ((short.groupdq[:, :, 0, 0] & DNU) != 0).sum(axis=1).tolist() == [3, 3, 3]
    none = RscdStep.call(_miri(rng), override_rscd=_rscd(sub="OTHER"))
    assert none.meta.cal_step.rscd == "SKIPPED"
    assert RscdStep.call(ramp(rng), override_rscd=_rscd()).meta.cal_step.rscd == "SKIPPED"
