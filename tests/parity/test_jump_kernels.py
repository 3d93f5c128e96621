"""jwcore.jump against stcal 1.20.0's jump detection (the code under jwst 3.0.0's JumpStep).

Tolerances (issue 5): JUMP_DET group flags identical on at least 99.99% of groups; snowball and
shower regions overlapping at least 95%.  On these inputs the two-point flags agree exactly.
"""

import warnings

import numpy as np
import pytest

pytest.importorskip("stcal")

from stcal.jump.jump import detect_jumps_data  # noqa: E402
from stcal.jump.jump_class import JumpData  # noqa: E402

from jwcore import dqflags  # noqa: E402
from jwcore.jump import detect_jumps_twopoint, flag_showers, flag_snowballs  # noqa: E402

pytestmark = pytest.mark.parity

JUMP = dqflags.group["JUMP_DET"]
SAT = dqflags.group["SATURATED"]
DNU = dqflags.group["DO_NOT_USE"]
STCAL_FLAGS = {
    "GOOD": 0,
    "DO_NOT_USE": DNU,
    "SATURATED": SAT,
    "JUMP_DET": JUMP,
    "NO_GAIN_VALUE": dqflags.pixel["NO_GAIN_VALUE"],
    "REFERENCE_PIXEL": dqflags.pixel["REFERENCE_PIXEL"],
}
GROUP_TIME = 10.737


def stcal_jump_data(data, gdq, gain, rn, *, pdq=None, nframes=1, **kw):
    """A JumpData set up as jwst 3.0.0's JumpStep does, from arrays and step parameters."""
    jd = JumpData(gain2d=gain, rnoise2d=rn, dqflags=STCAL_FLAGS)
    if pdq is None:
        pdq = np.zeros(data.shape[-2:], np.uint32)
    jd.init_arrays_from_arrays(data.copy(), gdq.copy(), pdq.copy())
    # JWST ramps carry no read pattern: stcal falls back to these (uniform groups)
    jd.nframes = nframes
    jd.dt_group = np.ones(1)
    jd.n_reads_groupdiff = np.ones(1) * 2 * nframes
    jd.set_detection_settings(
        kw.get("rejection_threshold", 4.0),
        kw.get("three_group_rejection_threshold", 6.0),
        kw.get("four_group_rejection_threshold", 5.0),
        kw.get("max_jump_to_flag_neighbors", 1000.0),
        kw.get("min_jump_to_flag_neighbors", 10.0),
        kw.get("flag_4_neighbors", True),
    )
    jd.set_after_jump(
        kw.get("after_jump_flag_dn1", 0.0),
        int(kw.get("after_jump_flag_time1", 0.0) // GROUP_TIME),
        kw.get("after_jump_flag_dn2", 0.0),
        int(kw.get("after_jump_flag_time2", 0.0) // GROUP_TIME),
    )
    jd.set_sigma_clipping_info(
        kw.get("minimum_groups", 3),
        kw.get("minimum_sigclip_groups", 100),
        kw.get("only_use_ints", True),
    )
    jd.min_diffs_single_pass = kw.get("min_diffs_single_pass", 10)
    jd.max_cores = "1"
    return jd


def run_stcal(*args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return detect_jumps_data(stcal_jump_data(*args, **kw))


def simulate(seed, nints, ngroups, ny=64, nx=64, n_cr=150, rn=11.0, gain=2.1, flux=60.0):
    rng = np.random.default_rng(seed)
    rate = rng.uniform(0, flux, (ny, nx))
    e = rng.poisson(np.broadcast_to(rate, (nints, ngroups, ny, nx))).cumsum(axis=1)
    data = 1000 + e / gain + rng.normal(0, rn / np.sqrt(2), e.shape)
    for _ in range(n_cr):
        i, g = rng.integers(nints), rng.integers(1, ngroups)
        y, x = rng.integers(ny), rng.integers(nx)
        data[i, g:, y, x] += rng.lognormal(5, 1.5)
    gdq = np.zeros(data.shape, np.uint8)
    sat = data > 1000 + 0.9 * data.max()
    gdq[np.maximum.accumulate(sat, axis=1)] |= SAT
    gdq[:, 0, :2, :] |= DNU
    gainarr = rng.uniform(0.9, 1.1, (ny, nx)).astype(np.float32) * gain
    gainarr[3, 3] = np.nan
    rnarr = rng.uniform(0.8, 1.2, (ny, nx)).astype(np.float32) * rn
    rnarr[4, 4] = 0.0
    return data.astype(np.float32), gdq, gainarr, rnarr


def assert_flags_agree(ours, theirs, max_fraction=1e-4):
    diff = np.count_nonzero(ours != theirs)
    assert diff / ours.size <= max_fraction, f"{diff} of {ours.size} groups differ"
    return diff


TWOPOINT_CASES = [
    ("iterative 10x1", dict(seed=1, nints=1, ngroups=10), {}),
    ("iterative 5x3", dict(seed=2, nints=3, ngroups=5), {}),
    ("3 groups", dict(seed=3, nints=2, ngroups=3), {}),
    ("4 groups", dict(seed=4, nints=1, ngroups=4), {}),
    ("single pass", dict(seed=5, nints=1, ngroups=14), {}),
    ("nframes 4", dict(seed=6, nints=1, ngroups=8), dict(nframes=4)),
    (
        "after-jump flagging",
        dict(seed=7, nints=2, ngroups=9),
        dict(
            after_jump_flag_dn1=50.0,
            after_jump_flag_time1=25.0,
            after_jump_flag_dn2=600.0,
            after_jump_flag_time2=60.0,
        ),
    ),
    (
        "neighbour range",
        dict(seed=8, nints=1, ngroups=7),
        dict(min_jump_to_flag_neighbors=5.0, max_jump_to_flag_neighbors=50.0),
    ),
    (
        "no neighbours",
        dict(seed=9, nints=1, ngroups=7),
        dict(flag_4_neighbors=False, rejection_threshold=3.0),
    ),
    ("sigma clip over ints", dict(seed=10, nints=110, ngroups=4, ny=16, nx=16, n_cr=60), {}),
    (
        "sigma clip over all diffs",
        dict(seed=11, nints=40, ngroups=4, ny=16, nx=16, n_cr=60),
        dict(only_use_ints=False),
    ),
]


@pytest.mark.parametrize("name,sim,params", TWOPOINT_CASES, ids=[c[0] for c in TWOPOINT_CASES])
def test_twopoint_matches_stcal(name, sim, params):
    data, gdq, gain, rn = simulate(**sim)
    theirs, _, n_theirs, _ = run_stcal(data, gdq, gain, rn, **params)
    ours = gdq.copy()
    res = detect_jumps_twopoint(data, ours, gain, rn, group_time=GROUP_TIME, **params)
    assert_flags_agree(ours, theirs)
    assert np.count_nonzero(ours & JUMP) > 0 or res.mode == "skipped"
    if res.mode == "skipped":
        assert n_theirs == -99
    else:
        assert res.n_primary == n_theirs


def test_minimum_groups_is_honoured_unlike_single_process_stcal():
    """Known difference: stcal's single-process path overrides minimum_groups with 3.

    stcal 1.20.0 ``detect_jumps_data`` sets ``twopt_params.minimum_groups = 3`` when it runs in
    one process (jwst's default ``maximum_cores='1'``) and uses the step's value only when it
    splits the image over several processes, so the result depends on the core count.  We
    always honour the parameter; with the default (3) both agree.
    """
    data, gdq, gain, rn = simulate(seed=12, nints=1, ngroups=4)
    theirs, _, n_theirs, _ = run_stcal(data, gdq, gain, rn, minimum_groups=5)
    assert n_theirs > 0  # stcal ran the detection anyway
    ours = gdq.copy()
    res = detect_jumps_twopoint(data, ours, gain, rn, minimum_groups=5)
    assert res.mode == "skipped"
    assert not np.any((ours & JUMP) & ~(gdq & JUMP))


def _overlap(before, ours, theirs):
    """Intersection over union of the groups each implementation changed."""
    a, b = ours != before, theirs != before
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else np.count_nonzero(a & b) / union


def _snowball_gdq(seed, nints=2, ng=6, ny=160, nx=170, n=10):
    rng = np.random.default_rng(seed)
    gdq = np.zeros((nints, ng, ny, nx), np.uint8)
    yy, xx = np.mgrid[:ny, :nx]
    for _ in range(n):
        i, g = rng.integers(nints), rng.integers(1, ng)
        y, x = rng.uniform(0, ny), rng.uniform(0, nx)
        rc = rng.uniform(1, 6)
        rj, q, th = rc * rng.uniform(1.5, 3), rng.uniform(0.6, 1), rng.uniform(0, np.pi)
        u = (yy - y) * np.cos(th) + (xx - x) * np.sin(th)
        v = ((yy - y) * np.sin(th) - (xx - x) * np.cos(th)) / q
        r2 = u * u + v * v
        gdq[i, g][r2 < rj * rj] |= JUMP
        gdq[i, g:, r2 < rc * rc] = SAT
    for _ in range(200):  # ordinary cosmic rays with their four neighbours
        i, g = rng.integers(nints), rng.integers(1, ng)
        y, x = rng.integers(1, ny - 1), rng.integers(1, nx - 1)
        gdq[i, g, y - 1 : y + 2, x] |= JUMP
        gdq[i, g, y, x - 1 : x + 2] |= JUMP
    return gdq


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_snowballs_match_stcal(seed):
    """Overlap >= 95% (issue 5).  The rare differences are boundary pixels of ellipses whose
    distance to the centre is 1 to within rounding: our moments are exact, scikit-image's
    carry summation rounding, and that flips those pixels."""
    from stcal.jump.jump import flag_large_events

    gdq = _snowball_gdq(seed)
    ones = np.ones(gdq.shape[-2:], np.float32)
    jd = stcal_jump_data(np.zeros(gdq.shape, np.float32), gdq, ones, ones)
    # JumpStep defaults, converted as the step converts them
    jd.set_snowball_info(True, 5.0, 1.0, 2.0, True, 2.5, 2 * 2, 25)
    jd.max_extended_width = 2 * 200
    jd.mask_persist_grps_next_int = True
    jd.persist_grps_flagged = int(4000 // GROUP_TIME)
    theirs, n_theirs = flag_large_events(gdq.copy(), JUMP, SAT, jd)
    ours = gdq.copy()
    n_ours = flag_snowballs(ours, group_time=GROUP_TIME)
    assert n_ours == n_theirs
    assert _overlap(gdq, ours, theirs) >= 0.95
    assert np.count_nonzero(ours != theirs) / ours.size < 1e-3


def _miri(seed, nints, ngroups=12, ny=100, nx=110):
    rng = np.random.default_rng(seed)
    gain = rng.uniform(2.8, 3.2, (ny, nx)).astype(np.float32)
    rn = rng.uniform(9, 11, (ny, nx)).astype(np.float32)
    t = np.arange(ngroups, dtype=np.float32)
    data = np.broadcast_to(100 + 5.0 * t[:, None, None], (nints, ngroups, ny, nx)).copy()
    data += rng.normal(0, 2.4, data.shape)
    gdq = np.zeros(data.shape, np.uint8)
    yy, xx = np.mgrid[:ny, :nx]
    for i in range(nints):
        y, x, g = rng.uniform(20, ny - 20), rng.uniform(20, nx - 20), rng.integers(2, ngroups)
        r2 = (yy - y) ** 2 + ((xx - x) / rng.uniform(0.7, 1.3)) ** 2
        data[i, g:][:, r2 < rng.uniform(10, 18) ** 2] += 25.0
        gdq[i, g][r2 < 9] = JUMP
    pdq = np.zeros((ny, nx), np.uint32)
    pdq[:, :4] = dqflags.pixel["REFERENCE_PIXEL"]
    return data.astype(np.float32), gdq, pdq, gain, rn


@pytest.mark.parametrize("seed,nints", [(0, 1), (1, 2), (2, 3)])
def test_showers_match_stcal(seed, nints):
    from stcal.jump.jump import find_faint_extended

    gt = 2.775
    data, gdq, pdq, gain, rn = _miri(seed, nints)
    jd = stcal_jump_data(data, gdq, gain, rn, pdq=pdq)
    jd.find_showers = True
    jd.extend_snr_threshold, jd.extend_min_area = 1.2, 90
    jd.extend_inner_radius, jd.extend_outer_radius = 1.0, 2.6
    jd.extend_ellipse_expand_ratio = 1.1
    jd.grps_masked_after_shower = int(15 // gt)
    # jwst 3.0.0's JumpStep scales stcal's built-in amplitude (6), not its own parameter
    jd.max_shower_amplitude = 6 * gt
    jd.max_extended_width = 2 * 200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, n_theirs = find_faint_extended(data * gain, gdq.copy(), pdq, rn * gain, jd)
    ours = gdq.copy()
    n_ours = flag_showers(data, ours, pdq, gain, rn, group_time=gt, max_shower_amplitude=6)
    assert n_ours == n_theirs >= nints
    assert _overlap(gdq, ours, theirs) >= 0.95
