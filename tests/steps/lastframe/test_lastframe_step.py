from ramps_testdata import ramp

from jwcal.dqflags import group as GROUP
from jwcal.steps.lastframe import LastFrameStep


def test_flags_the_last_group(rng):
    m = ramp(rng, ngroups=4, instrument="MIRI", detector="MIRIMAGE", readpatt="FAST")
    out = LastFrameStep.call(m)
    assert out.meta.cal_step.lastframe == "COMPLETE"
    assert (out.groupdq[:, -1] & GROUP["DO_NOT_USE"]).all()
    assert not out.groupdq[:, :-1].any()


def test_skips(rng):
    assert LastFrameStep.call(ramp(rng)).meta.cal_step.lastframe == "SKIPPED"
    short = ramp(rng, ngroups=2, instrument="MIRI", detector="MIRIMAGE", readpatt="FAST")
    assert LastFrameStep.call(short).meta.cal_step.lastframe == "SKIPPED"
