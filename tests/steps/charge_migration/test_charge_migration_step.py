from ramps_testdata import ramp

from jwcal.dqflags import group as GROUP
from jwcal.steps.charge_migration import ChargeMigrationStep

FLAG = GROUP["CHARGELOSS"] | GROUP["DO_NOT_USE"]


def test_flags_pixel_and_neighbours_from_the_crossing_on(rng):
    m = ramp(rng, nints=1, ngroups=5)
    m.data[0, 2:, 10, 10] = 30000.0
    out = ChargeMigrationStep.call(m)
    assert out.meta.cal_step.charge_migration == "COMPLETE"
    for y, x in ((10, 10), (9, 10), (11, 10), (10, 9), (10, 11)):
        assert (out.groupdq[0, 2:, y, x] == FLAG).all()
        assert not out.groupdq[0, :2, y, x].any()
    assert not out.groupdq[0, :, 9, 9].any()  # diagonal neighbours are not flagged
    assert int((out.groupdq != 0).sum()) == 5 * 3


def test_threshold_parameter_and_skips(rng):
    m = ramp(rng, nints=1, ngroups=5)
    m.data[0, 1:, 3, 3] = 5000.0
    assert not ChargeMigrationStep.call(m).groupdq.any()
    assert ChargeMigrationStep.call(m, signal_threshold=4000.0).groupdq.any()
    short = ramp(rng, ngroups=2)
    assert ChargeMigrationStep.call(short).meta.cal_step.charge_migration == "SKIPPED"
    assert ChargeMigrationStep().skip is True
