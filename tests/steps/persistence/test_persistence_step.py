import numpy as np
import pytest
from ramps_testdata import ramp

from jwcal.dqflags import group as GROUP
from jwcal.steps.persistence import PersistenceStep

PERS, SAT, DNU = GROUP["PERSISTENCE"], GROUP["SATURATED"], GROUP["DO_NOT_USE"]


def _saturating(rng):
    m = ramp(rng, nints=1, ngroups=6, tframe=10.0)  # groups 10 s apart
    m.groupdq[0, 2:, 4, 5] = SAT
    return m


def test_window_after_saturation(rng):
    out = PersistenceStep.call(_saturating(rng), persistence_time=25)
    assert out.meta.cal_step.persistence == "COMPLETE"
    flagged = (out.groupdq[0, :, 4, 5] & PERS) != 0
    # opens at group 3 (t = 30 s): groups at 30, 40, 50 s are inside 30 + 25 s
    assert flagged.tolist() == [False, False, True, True, True, False]
    dnu = PersistenceStep.call(_saturating(rng), persistence_time=25, persistence_dnu=True)
    assert (dnu.groupdq[0, 2:5, 4, 5] & DNU).all()


def test_dn_threshold_opens_windows(rng):
    m = ramp(rng, nints=1, ngroups=4)
    m.data[0, 1, 7, 8] = 1e6
    out = PersistenceStep.call(m, persistence_time=15, dn_threshold=5e5)
    assert ((out.groupdq[0, :, 7, 8] & PERS) != 0).tolist() == [False, True, True, False]


def test_windows_carried_through_a_file(rng, tmp_path):
    pfile = tmp_path / "pers.asdf"
    PersistenceStep.call(_saturating(rng), persistence_time=10000, save_persistence=str(pfile))
    later = ramp(rng, nints=1, ngroups=3)
    later.meta.exposure.start_time = 60000.0 + 0.05  # 72 minutes later
    out = PersistenceStep.call(later, persistence_time=10000, persistence_array_file=str(pfile))
    assert (out.groupdq[0, :, 4, 5] & PERS).all()
    assert int((out.groupdq & PERS != 0).sum()) == 3
    # a different window length starts afresh
    other = PersistenceStep.call(later, persistence_time=100, persistence_array_file=str(pfile))
    assert not other.groupdq.any()
    # other detectors in the file are kept when one is updated
    import asdf

    with asdf.open(pfile) as af:
        assert set(af.tree) >= {"NRCA1"}


def test_persistence_time_is_required(rng):
    out = PersistenceStep.call(ramp(rng))
    assert out.meta.cal_step.persistence == "FAILED"
    assert PersistenceStep().skip is True


@pytest.mark.parametrize("n_threads", [1, 2])
def test_int_times_table_gives_the_group_times(rng, n_threads):
    from jwcal.stpipe import set_threads

    m = _saturating(rng)
    tab = np.zeros(1, dtype=[("integration_number", "i4"), ("int_start_MJD_UTC", "f8"),
                             ("int_mid_MJD_UTC", "f8"), ("int_end_MJD_UTC", "f8"),
                             ("int_start_BJD_TDB", "f8"), ("int_mid_BJD_TDB", "f8"),
                             ("int_end_BJD_TDB", "f8")])  # fmt: skip
    tab["int_start_MJD_UTC"] = 60000.0
    m.int_times = tab
    old = set_threads(n_threads)
    try:
        out = PersistenceStep.call(m, persistence_time=25)
    finally:
        set_threads(old)
    assert ((out.groupdq[0, :, 4, 5] & PERS) != 0).sum() == 3
