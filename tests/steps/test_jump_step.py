import numpy as np
import pytest
from synthetic_ramps import gain_model, ramp_model, readnoise_model

from jwcal.dqflags import group as GROUP
from jwcal.dqflags import pixel as PIXEL
from jwcal.steps.jump import JumpStep

JUMP, SAT, DNU = GROUP["JUMP_DET"], GROUP["SATURATED"], GROUP["DO_NOT_USE"]


def noisy_ramps(rng, shape=(40, 48), nints=1, ngroups=10, n_hits=20, amplitude=800.0):
    """Ramps at 3 DN/s with 10 DN CDS read noise and ``n_hits`` jumps at known places."""
    rate = np.full(shape, 3.0)
    m = ramp_model(rate, nints=nints, ngroups=ngroups, read_noise=10.0, rng=rng)
    ny, nx = shape
    flat = rng.choice(ny * nx, n_hits, replace=False)
    ys, xs = np.unravel_index(flat, shape)
    gs = rng.integers(2, ngroups - 1, n_hits)
    ints = rng.integers(0, nints, n_hits)
    for i, g, y, x in zip(ints, gs, ys, xs, strict=True):
        m.data[i, g:, y, x] += amplitude
    return m, (ints, gs, ys, xs)


def run(m, **kw):
    return JumpStep.call(
        m, override_gain=gain_model(m), override_readnoise=readnoise_model(m), **kw
    )


def test_injected_jumps_are_flagged_and_few_others(rng):
    m, (ints, gs, ys, xs) = noisy_ramps(rng)
    out = run(m, flag_4_neighbors=False)
    assert out.meta.cal_step.jump == "COMPLETE"
    flagged = (out.groupdq & JUMP) != 0
    assert flagged[ints, gs, ys, xs].all()
    # 1920 pixels x 9 differences at 4 sigma: false flags are rare
    assert flagged.sum() - len(gs) <= 5
    # the input model was not touched (a step run on its own works on a copy)
    assert not (m.groupdq & JUMP).any()


def test_neighbours_are_flagged_for_jumps_in_the_significance_range(rng):
    m, (ints, gs, ys, xs) = noisy_ramps(rng, n_hits=5, amplitude=600.0)
    out = run(m)
    flagged = (out.groupdq & JUMP) != 0
    for i, g, y, x in zip(ints, gs, ys, xs, strict=True):
        for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            yy, xx = y + dy, x + dx
            if 0 <= yy < m.shape[2] and 0 <= xx < m.shape[3]:
                assert flagged[i, g, yy, xx]
    # above max_jump_to_flag_neighbors the neighbours are left alone
    quiet = run(m, max_jump_to_flag_neighbors=20.0)
    n_quiet = ((quiet.groupdq & JUMP) != 0).sum()
    assert n_quiet < flagged.sum()


def test_after_jump_flagging(rng):
    m, (ints, gs, ys, xs) = noisy_ramps(rng, n_hits=4, amplitude=2000.0)
    tg = m.meta.exposure.group_time
    out = run(m, flag_4_neighbors=False, after_jump_flag_dn1=1000.0, after_jump_flag_time1=2 * tg)
    flagged = (out.groupdq & JUMP) != 0
    for i, g, y, x in zip(ints, gs, ys, xs, strict=True):
        later = flagged[i, g : g + 3, y, x]
        assert later.all(), (g, later)


def test_two_groups_skip_the_step(rng):
    m = ramp_model(np.ones((8, 8)), ngroups=2)
    out = run(m)
    assert out.meta.cal_step.jump == "SKIPPED"
    assert not out.groupdq.any()


def test_bad_gain_pixels(rng):
    m, _ = noisy_ramps(rng, n_hits=1)
    g = np.full(m.shape[-2:], 2.0, np.float32)
    g[1, 2] = 0.0
    g[3, 4] = np.nan
    g[5, 6] = -1.0
    out = JumpStep.call(m, override_gain=gain_model(m, g), override_readnoise=readnoise_model(m))
    bad = PIXEL["NO_GAIN_VALUE"] | PIXEL["DO_NOT_USE"]
    for y, x in ((1, 2), (3, 4), (5, 6)):
        assert out.pixeldq[y, x] & bad == bad
    assert (out.pixeldq != 0).sum() == 3
    assert not (out.groupdq[0, :, 3, 4] & JUMP).any()


def test_cosmic_ray_rate_keyword(rng):
    m, (_, gs, _, _) = noisy_ramps(rng, n_hits=10)
    out = run(m, flag_4_neighbors=False)
    nints, ngroups, ny, nx = m.shape
    n_primary = int(((out.groupdq & JUMP) != 0).sum())
    expected = 1000.0 * n_primary / (m.meta.exposure.group_time * (ngroups - 1) * ny * nx)
    assert out.meta.exposure.primary_cosmic_rays == pytest.approx(expected)
    assert out.meta.exposure.extended_emission_events == 0.0


def test_flagged_groups_are_not_jumps(rng):
    m, (ints, gs, ys, xs) = noisy_ramps(rng, n_hits=3, amplitude=900.0)
    m.groupdq[ints[0], gs[0] :, ys[0], xs[0]] = SAT
    out = run(m, flag_4_neighbors=False)
    assert not (out.groupdq[ints[0], :, ys[0], xs[0]] & JUMP).any()
    assert (out.groupdq[ints[1], gs[1], ys[1], xs[1]] & JUMP) != 0


def test_threads_give_the_same_flags(rng):
    m, _ = noisy_ramps(rng, shape=(64, 64), nints=2, n_hits=40)
    one = run(m, maximum_cores="1")
    two = run(m, maximum_cores="2")
    np.testing.assert_array_equal(one.groupdq, two.groupdq)


def test_snowballs(rng):
    """A saturated core ringed by jumps becomes a snowball: the grown ellipse is flagged."""
    m = ramp_model(np.full((64, 64), 2.0), ngroups=8, read_noise=10.0, rng=rng)
    yy, xx = np.mgrid[:64, :64]
    r = np.hypot(yy - 32, xx - 32)
    m.data[0, 4:, r <= 6] += 3000.0
    m.groupdq[0, 4:][:, r <= 2.5] = SAT
    plain = run(m, flag_4_neighbors=False)
    grown = run(m, flag_4_neighbors=False, expand_large_events=True)
    assert grown.meta.exposure.extended_emission_events > 0
    n_plain = ((plain.groupdq[0, 4] & JUMP) != 0).sum()
    n_grown = ((grown.groupdq[0, 4] & JUMP) != 0).sum()
    assert n_grown > n_plain
    # the ring beyond the detected jumps is flagged, saturated pixels keep their flag only
    ring = (r > 7) & (r <= 9)
    assert ((grown.groupdq[0, 4][ring] & JUMP) != 0).mean() > 0.9
    assert not (grown.groupdq[0, 4][r <= 2.5] & JUMP).any()


def test_showers(rng):
    """A faint extended MIRI shower in one group is found and flagged there and after."""
    m = ramp_model(
        np.full((80, 80), 1.0),
        ngroups=12,
        read_noise=10.0,
        rng=rng,
        instrument="MIRI",
        detector="MIRIMAGE",
        frame_time=2.775,
    )
    yy, xx = np.mgrid[:80, :80]
    disk = np.hypot(yy - 40, xx - 40) < 12
    m.data[0, 6:, disk] += 25.0
    plain = run(m, flag_4_neighbors=False)
    out = run(m, find_showers=True, flag_4_neighbors=False, time_masked_after_shower=3.0)
    assert out.meta.exposure.extended_emission_events > 0
    flagged = (out.groupdq[0] & JUMP) != 0
    # the shower's group and the one within 3 s after it
    assert flagged[6][disk].mean() > 0.8 and flagged[7][disk].mean() > 0.8
    # far from it, only what the two-point test flagged anyway
    far = np.hypot(yy - 40, xx - 40) > 25
    np.testing.assert_array_equal(flagged[:, far], (plain.groupdq[0][:, far] & JUMP) != 0)


def test_missing_references_skip(rng):
    m, _ = noisy_ramps(rng, n_hits=1)
    out = JumpStep.call(m, override_gain="N/A", override_readnoise="N/A")
    assert out.meta.cal_step.jump == "SKIPPED"
