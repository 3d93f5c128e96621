import numpy as np
import pytest

from jwcore import dqflags
from jwcore.jump import ellipse_mask, find_ellipses, flag_showers, flag_snowballs

SAT = dqflags.group["SATURATED"]
JUMP = dqflags.group["JUMP_DET"]
DNU = dqflags.group["DO_NOT_USE"]


def _blobs(rng, ny=60, nx=70, n=4, noise=0.02):
    m = np.zeros((ny, nx), bool)
    yy, xx = np.mgrid[:ny, :nx]
    for _ in range(n):
        y, x = rng.uniform(5, ny - 5), rng.uniform(5, nx - 5)
        a, b, th = rng.uniform(0.5, 8), rng.uniform(0.5, 8), rng.uniform(0, np.pi)
        u = ((yy - y) * np.cos(th) + (xx - x) * np.sin(th)) / a
        v = ((yy - y) * np.sin(th) - (xx - x) * np.cos(th)) / b
        m |= u * u + v * v < 1
    return m | (rng.random(m.shape) < noise)


def test_regions_match_scikit_image_moments(rng):
    measure = pytest.importorskip("skimage.measure")
    for _ in range(20):
        m = _blobs(rng)
        props = [r for r in measure.regionprops(measure.label(m)) if r.area_filled >= 5]
        ours = find_ellipses(m, 5)
        assert len(ours) == len(props)
        for (c, ax, ang), r in zip(ours, props, strict=True):
            np.testing.assert_allclose(c, (r.centroid[1], r.centroid[0]), atol=1e-9)
            np.testing.assert_allclose(
                ax, (r.axis_minor_length - 1, r.axis_major_length - 1), atol=1e-9
            )
            # orientation is defined modulo 180 degrees
            d = (ang - np.degrees(r.orientation) + 90) % 180 - 90
            assert abs(d) < 1e-7 or r.axis_major_length - r.axis_minor_length < 1e-6


def test_hole_filled_area_decides_small_regions():
    ring = np.zeros((7, 7), bool)
    ring[1:6, 1:6] = True
    ring[2:5, 2:5] = False  # 16 pixels around a 3x3 hole
    assert len(find_ellipses(ring, 17)) == 1  # filled: 25 pixels
    assert len(find_ellipses(ring, 26)) == 0
    diag = np.eye(5, dtype=bool)  # diagonal pixels are connected (8-connectivity)
    assert len(find_ellipses(diag, 5)) == 1


def test_ellipse_mask_matches_scikit_image_draw(rng):
    draw = pytest.importorskip("skimage.draw")
    for _ in range(50):
        cx, cy = rng.uniform(0, 50), rng.uniform(0, 40)
        a1, a2 = rng.uniform(1, 20), rng.uniform(1, 30)
        ang = rng.uniform(-90, 90)
        ours = ellipse_mask((40, 50), (cx, cy), (a1, a2), ang)
        ref = np.zeros((40, 50), bool)
        yc, xc = round(cx), round(cy)
        if round(a1 / 2) and round(a2 / 2):
            rr, cc = draw.ellipse(xc, yc, round(a2 / 2), round(a1 / 2), (40, 50), np.radians(ang))
            ref[rr, cc] = True
        assert np.count_nonzero(ours != ref) <= 2  # at most a boundary pixel pair (rounding)


def _snowball_gdq(rng, nints=2, ngroups=5, ny=120, nx=130, n=6):
    gdq = np.zeros((nints, ngroups, ny, nx), np.uint8)
    yy, xx = np.mgrid[:ny, :nx]
    truth = []
    for _ in range(n):
        i, g = rng.integers(nints), rng.integers(1, ngroups)
        y, x = rng.uniform(30, ny - 30), rng.uniform(30, nx - 30)
        rc, rj = rng.uniform(2.5, 5), rng.uniform(8, 14)
        r2 = (yy - y) ** 2 + (xx - x) ** 2
        gdq[i, g][r2 < rj * rj] |= JUMP
        gdq[i, g:][:, r2 < rc * rc] = SAT
        truth.append((i, g, y, x, rj))
    return gdq, truth


def test_snowballs_are_grown_and_counted(rng):
    gdq, truth = _snowball_gdq(rng)
    before = gdq.copy()
    n = flag_snowballs(gdq, group_time=10.0)
    assert n >= len(truth) - 1  # two events may merge
    for i, g, y, x, rj in truth:
        # the expansion factor 2 covers well beyond the original jump radius
        yy, xx = int(round(y)), int(round(x + 1.5 * rj))
        if not before[i, g, yy, xx] & SAT:
            assert gdq[i, g, yy, xx] & (JUMP | SAT)
    # saturated cores are flagged JUMP_DET in the next integration's early groups
    assert np.any((gdq[1, 1:] & JUMP) & ~(before[1, 1:] & JUMP))


def test_snowball_needs_a_saturated_core():
    gdq = np.zeros((1, 4, 100, 100), np.uint8)
    yy, xx = np.mgrid[:100, :100]
    gdq[0, 2][(yy - 50) ** 2 + (xx - 50) ** 2 < 64] = JUMP
    g2 = gdq.copy()
    assert flag_snowballs(gdq, mask_snowball_core_next_int=False) == 0
    np.testing.assert_array_equal(gdq, g2)
    assert flag_snowballs(g2, mask_snowball_core_next_int=False, sat_required_snowball=False) == 1
    assert (g2 & JUMP).sum() > (gdq & JUMP).sum()


def _miri(rng, nints=1, ngroups=12, ny=80, nx=90, shower=True):
    gain = np.full((ny, nx), 3.0, np.float32)
    rn = np.full((ny, nx), 10.0, np.float32)
    t = np.arange(ngroups, dtype=np.float32)
    data = np.broadcast_to(100 + 5.0 * t[:, None, None], (nints, ngroups, ny, nx)).copy()
    data += rng.normal(0, 10 / np.sqrt(2) / 3.0, data.shape).astype(np.float32)
    gdq = np.zeros(data.shape, np.uint8)
    if shower:
        yy, xx = np.mgrid[:ny, :nx]
        r2 = (yy - 40) ** 2 + (xx - 45) ** 2
        data[0, 6:][:, r2 < 15**2] += 25.0  # extended step of about 2.5 sigma
        gdq[0, 6][r2 < 9] = JUMP
    return data.astype(np.float32), gdq, np.zeros((ny, nx), np.uint32), gain, rn


@pytest.mark.parametrize("n_threads", [1, 2])
def test_shower_is_found_and_flagged(rng, n_threads):
    data, gdq, pdq, gain, rn = _miri(rng)
    before = gdq.copy()
    n = flag_showers(
        data, gdq, pdq, gain, rn, group_time=2.775, max_shower_amplitude=6, n_threads=n_threads
    )
    assert n >= 1
    added = (gdq & JUMP) & ~(before & JUMP)
    assert added[0, 6, 40, 45 + 10] and not added[0, 6, 5, 5]
    assert not added[0, :6].any()


def test_no_shower_in_noise_and_thread_invariance(rng):
    data, gdq, pdq, gain, rn = _miri(rng, shower=False)
    a = gdq.copy()
    assert flag_showers(data, a, pdq, gain, rn, group_time=2.775) == 0
    np.testing.assert_array_equal(a, gdq)
    data, gdq, pdq, gain, rn = _miri(rng)
    b, c = gdq.copy(), gdq.copy()
    flag_showers(data, b, pdq, gain, rn, group_time=2.775, max_shower_amplitude=6, n_threads=1)
    flag_showers(data, c, pdq, gain, rn, group_time=2.775, max_shower_amplitude=6, n_threads=2)
    np.testing.assert_array_equal(b, c)


def test_event_validation_messages():
    with pytest.raises(ValueError, match="uint8"):
        flag_snowballs(np.zeros((2, 3, 3), np.int32))
    with pytest.raises(ValueError, match="group_time"):
        flag_snowballs(np.zeros((2, 3, 3), np.uint8))
    data = np.zeros((1, 4, 3, 3), np.float32)
    ones = np.ones((3, 3))
    with pytest.raises(ValueError, match="shape of the data"):
        flag_showers(data, np.zeros((1, 4, 3, 2), np.uint8), ones, ones, ones, group_time=1)
    with pytest.raises(ValueError, match="group_time"):
        flag_showers(data, np.zeros(data.shape, np.uint8), ones, ones, ones)
    with pytest.raises(ValueError, match="pixeldq has shape"):
        flag_showers(
            data, np.zeros(data.shape, np.uint8), np.ones((2, 2)), ones, ones, group_time=1
        )
