from ramps_testdata import ramp

from jwcal.dqflags import group as GROUP
from jwcal.dqflags import pixel as PIXEL
from jwcal.steps.firstframe import FirstFrameStep


def _miri(rng, ngroups=6):
    return ramp(rng, ngroups=ngroups, instrument="MIRI", detector="MIRIMAGE", readpatt="FAST")


def test_flags_group_one_except_bright_pixels(rng):
    m = _miri(rng)
    m.groupdq[0, 2:, 3, 4] = GROUP["SATURATED"]
    out = FirstFrameStep.call(m)
    assert out.meta.cal_step.firstframe == "COMPLETE"
    first = out.groupdq[:, 0] & GROUP["DO_NOT_USE"]
    assert first.sum() == first.size - 1 and first[0, 3, 4] == 0
    assert out.pixeldq[3, 4] & PIXEL["FLUX_ESTIMATED"]
    assert not (out.groupdq[:, 1:] & GROUP["DO_NOT_USE"]).any()
    plain = FirstFrameStep.call(m, bright_use_group1=False)
    assert (plain.groupdq[:, 0] & GROUP["DO_NOT_USE"]).all()


def test_skips(rng):
    assert FirstFrameStep.call(ramp(rng)).meta.cal_step.firstframe == "SKIPPED"
    assert FirstFrameStep.call(_miri(rng, 3)).meta.cal_step.firstframe == "SKIPPED"
    assert FirstFrameStep().skip is True  # off by default in a pipeline
