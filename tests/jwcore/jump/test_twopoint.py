import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jwcore import dqflags
from jwcore.jump import detect_jumps_twopoint

DNU = dqflags.group["DO_NOT_USE"]
SAT = dqflags.group["SATURATED"]
JUMP = dqflags.group["JUMP_DET"]


def _median(v):
    return np.median(v) if v.size else np.nan


def reference(
    data,
    gdq,
    gain,
    rn,
    *,
    nframes=1,
    thr=(4.0, 5.0, 6.0),
    single=False,
    flag4=True,
    nb=(10.0, 1000.0),
    n_after=(0, 0),
    e_after=(0.0, 0.0),
):
    """Slow, obvious version of the two-point difference algorithm (iterative or single pass)."""
    gdq = gdq.copy()
    nints, ng, ny, nx = data.shape
    e = (data * gain).astype(np.float32)
    e[(gdq & (DNU | SAT)) != 0] = np.nan
    fd = np.diff(e, axis=1).astype(np.float64)  # (nints, ng-1, ny, nx)
    var_rn = ((rn * gain).astype(np.float32) ** 2).astype(np.float64) / nframes
    prim = (gdq & JUMP) != 0
    trig = np.zeros_like(prim)
    med_all = np.full((ny, nx), np.nan)
    sig_all = np.full((ny, nx), np.nan)
    for y in range(ny):
        for x in range(nx):
            d = fd[:, :, y, x].ravel()
            good = ~np.isnan(d)
            med = _median(d[good])
            sig = np.sqrt(abs(med) + var_rn[y, x])
            sig = np.nan if sig == 0 else sig
            med_all[y, x], sig_all[y, x] = med, sig
            flags = np.zeros(d.size, bool)
            if single:
                with np.errstate(invalid="ignore"):
                    flags = np.isfinite(d) & (np.abs(d - med) / sig > thr[0])
            else:
                use = good.copy()
                it = 0
                while use.sum() >= 2:
                    a = np.abs(d[use])
                    n = a.size
                    if n >= 4:
                        med_i = _median(a[a != a.max()])
                    elif n == 3:
                        med_i = np.median(a)
                    else:
                        med_i = a.min()
                    if it:
                        med_i = float(np.float32(med_i))
                    s = np.sqrt(abs(med_i) + var_rn[y, x])
                    s = np.nan if s == 0 else s
                    t = thr[0] if n >= 4 else thr[1] if n == 3 else thr[2]
                    r = np.full(d.size, -np.inf)
                    r[use] = np.abs((np.abs(d[use]) - med_i).astype(np.float32)) / s
                    if not np.nanmax(r) > t:
                        break
                    hit = use & (r == np.nanmax(r))
                    flags |= hit
                    use &= ~hit
                    it += 1
            flags = flags.reshape(nints, ng - 1)
            prim[:, 1:, y, x] |= flags
    ratio = np.abs(fd - med_all) / sig_all
    with np.errstate(invalid="ignore"):
        trig[:, 1:] = prim[:, 1:] & (ratio > nb[0]) & (ratio < nb[1])
    ok = (gdq & (DNU | SAT)) == 0
    jump = prim.copy()
    if flag4:
        nbr = np.zeros_like(trig)
        nbr[:, :, 1:] |= trig[:, :, :-1]
        nbr[:, :, :-1] |= trig[:, :, 1:]
        nbr[:, :, :, 1:] |= trig[:, :, :, :-1]
        nbr[:, :, :, :-1] |= trig[:, :, :, 1:]
        jump |= nbr & ok
    if n_after[0] or n_after[1]:
        ej = fd - med_all
        add = np.zeros_like(jump)
        for n, e_thr in zip(n_after, e_after, strict=True):
            big = np.zeros_like(jump)
            big[:, 1:] = (ej >= e_thr) & jump[:, 1:]
            for i, g, y, x in zip(*np.nonzero(big), strict=True):
                add[i, g : g + n + 1, y, x] = True
        jump |= add & ok
    gdq[jump] |= JUMP
    gdq[((gdq & JUMP) != 0) & ~ok] ^= JUMP
    return gdq


def simulate(rng, nints=1, ngroups=8, ny=13, nx=17, n_cr=12, rn=12.0, gain=1.8, rate_max=40):
    """Poisson + read noise ramps in DN with injected jumps; returns data, gain, rn, hits."""
    rate = rng.uniform(0, rate_max, (ny, nx))
    e = rng.poisson(np.broadcast_to(rate, (nints, ngroups, ny, nx))).cumsum(axis=1)
    data = e / gain + rng.normal(0, rn / np.sqrt(2), e.shape)
    hits = []
    for _ in range(n_cr):
        i, g = rng.integers(nints), rng.integers(1, ngroups)
        y, x = rng.integers(ny), rng.integers(nx)
        data[i, g:, y, x] += rng.uniform(150, 4000)
        hits.append((i, g, y, x))
    gain2 = rng.uniform(0.8 * gain, 1.2 * gain, (ny, nx)).astype(np.float32)
    rn2 = rng.uniform(0.8 * rn, 1.2 * rn, (ny, nx)).astype(np.float32)
    return data.astype(np.float32), gain2, rn2, hits


CASES = [
    dict(nints=1, ngroups=8),
    dict(nints=3, ngroups=4),
    dict(nints=1, ngroups=3),
    dict(nints=2, ngroups=12),
]


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("case", CASES)
def test_matches_reference(rng, case, n_threads):
    data, gain, rn, _ = simulate(rng, **case)
    gdq = np.zeros(data.shape, np.uint8)
    gdq[:, -1, 2, 3] = SAT
    gdq[0, 1, 4, 4] = DNU
    gdq[0, 2, 5, 6] = JUMP | SAT  # redundant bit removed
    single = case["ngroups"] - 1 >= 10
    expected = reference(data, gdq, gain, rn, single=single)
    res = detect_jumps_twopoint(data, gdq, gain, rn, n_threads=n_threads)
    assert res.mode == ("single_pass" if single else "iterative")
    np.testing.assert_array_equal(gdq, expected)


@pytest.mark.parametrize("ngroups", range(3, 19))
def test_every_sorting_network_matches_reference(rng, ngroups):
    # 2 to 17 differences: the networks held in registers (up to 16 values, 8 columns at a
    # time) and the one applied comparator by comparator (17 values, and the columns past
    # the last 8: 61 = 7 x 8 + 5); pixels with unusable groups sort them last
    data, gain, rn, _ = simulate(rng, ngroups=ngroups, ny=24, nx=61, n_cr=200)
    gdq = np.zeros(data.shape, np.uint8)
    gdq[0, -1, 2, 3:12] = SAT
    gdq[0, 1, 4, 4:9] = DNU
    single = ngroups - 1 >= 10
    expected = reference(data, gdq, gain, rn, single=single)
    detect_jumps_twopoint(data, gdq, gain, rn)
    np.testing.assert_array_equal(gdq, expected)
    assert (gdq & JUMP).any()


def test_sort_tables_are_generated_and_sort(table_generator):
    """tp_sort_tables.h is tools/gen_sort_tables.py's output, and every network sorts
    (random inputs with ties)."""
    gen, text = table_generator("gen_sort_tables")
    root = pathlib.Path(__file__).parents[3]
    assert (root / "src" / "jwcore" / "jump" / "src" / "tp_sort_tables.h").read_text() == text
    r = np.random.default_rng(7)
    for n in range(2, gen.MAX + 1):
        v = r.integers(0, 5, (2000, n)).astype(float)
        for a, b in gen.network(n):
            v[:, a], v[:, b] = np.minimum(v[:, a], v[:, b]), np.maximum(v[:, a], v[:, b])
        np.testing.assert_array_equal(v, np.sort(v, axis=1))


@pytest.mark.parametrize("n_threads", [1, 2])
def test_after_jump_flagging_matches_reference(rng, n_threads):
    data, gain, rn, _ = simulate(rng, ngroups=9, n_cr=25)
    gdq = np.zeros(data.shape, np.uint8)
    gt = 10.0
    expected = reference(
        data,
        gdq,
        gain,
        rn,
        n_after=(2, 4),
        e_after=(
            float(np.float32(200) * np.median(gain)),
            float(np.float32(1500) * np.median(gain)),
        ),
    )
    detect_jumps_twopoint(
        data,
        gdq,
        gain,
        rn,
        after_jump_flag_dn1=200,
        after_jump_flag_time1=2 * gt + 1,
        after_jump_flag_dn2=1500,
        after_jump_flag_time2=4 * gt,
        group_time=gt,
        n_threads=n_threads,
    )
    np.testing.assert_array_equal(gdq, expected)


def test_thread_count_does_not_change_flags(rng):
    # more rows than one block (32) so that block edges are crossed
    data, gain, rn, _ = simulate(rng, ngroups=6, ny=97, nx=40, n_cr=300)
    a = np.zeros(data.shape, np.uint8)
    b = a.copy()
    detect_jumps_twopoint(data, a, gain, rn, min_jump_to_flag_neighbors=3, n_threads=1)
    detect_jumps_twopoint(data, b, gain, rn, min_jump_to_flag_neighbors=3, n_threads=2)
    np.testing.assert_array_equal(a, b)
    assert (a & JUMP).sum() > 300


@pytest.mark.parametrize("n_threads", [1, 2])
def test_matches_reference_across_row_blocks(rng, n_threads):
    # rows are detected in blocks of 32, whose first and last rows are computed once, for
    # the neighbours of the next and previous blocks, and reused: the flags of every row,
    # with neighbour and after-jump flagging, are those of the whole-frame reference
    data, gain, rn, _ = simulate(rng, nints=2, ngroups=5, ny=97, nx=23, n_cr=400)
    gdq = np.zeros(data.shape, np.uint8)
    gdq[0, -1, 31:34, 5] = SAT
    expected = reference(data, gdq, gain, rn, nb=(3.0, 1000.0), n_after=(1, 0),
                         e_after=(float(np.float32(300) * np.median(gain)), 0.0))  # fmt: skip
    detect_jumps_twopoint(data, gdq, gain, rn, min_jump_to_flag_neighbors=3,
                          after_jump_flag_dn1=300, after_jump_flag_time1=15.0, group_time=10.0,
                          n_threads=n_threads)  # fmt: skip
    np.testing.assert_array_equal(gdq, expected)
    # jumps on a block's edge rows reach into the neighbouring block
    edge = (gdq[:, :, [31, 32, 63, 64]] & JUMP) != 0
    assert edge.sum() > 10


def test_injected_jumps_are_found_and_few_false_flags(rng):
    data, gain, rn, hits = simulate(rng, nints=2, ngroups=10, ny=64, nx=64, n_cr=200)
    gdq = np.zeros(data.shape, np.uint8)
    detect_jumps_twopoint(data, gdq, gain, rn, flag_4_neighbors=False)
    found = np.mean([gdq[h] & JUMP != 0 for h in hits])
    assert found > 0.95
    truth = np.zeros(gdq.shape, bool)
    for h in hits:
        truth[h] = True
    false = np.count_nonzero((gdq & JUMP != 0) & ~truth) / truth.size
    # a 4-sigma two-sided test on ~9 differences: well under 1% false flags
    assert false < 2e-3


@given(slope=st.floats(0, 500), offset=st.floats(-100, 1000), ngroups=st.integers(3, 14))
def test_noiseless_ramp_is_never_flagged(slope, offset, ngroups):
    data = (offset + slope * np.arange(ngroups, dtype=np.float64))[None, :, None, None]
    data = np.broadcast_to(data, (1, ngroups, 3, 3)).astype(np.float32)
    gdq = np.zeros(data.shape, np.uint8)
    ones = np.ones((3, 3), np.float32)
    detect_jumps_twopoint(data, gdq, ones, ones * 5)
    assert not gdq.any()


@given(step=st.floats(200, 1e5), where=st.integers(1, 7))
def test_a_large_step_is_flagged_where_it_happens(step, where):
    ng = 8
    data = np.zeros((1, ng, 3, 3), np.float32) + 10 * np.arange(ng, dtype=np.float32)[:, None, None]
    data[0, where:, 1, 1] += np.float32(step)
    gdq = np.zeros(data.shape, np.uint8)
    ones = np.ones((3, 3), np.float32)
    detect_jumps_twopoint(data, gdq, ones, ones * 5, flag_4_neighbors=False)
    assert np.nonzero(gdq[0, :, 1, 1])[0].tolist() == [where]
    assert gdq.sum() == JUMP


def test_too_few_groups_skips_detection():
    data = np.zeros((1, 4, 2, 2), np.float32)
    data[0, 2:] += 1000
    gdq = np.zeros(data.shape, np.uint8)
    gdq[0, 0] = DNU
    gdq[0, 1] = DNU  # two of four groups unusable everywhere: 2 < minimum_groups
    res = detect_jumps_twopoint(data, gdq, np.ones((2, 2)), np.ones((2, 2)))
    assert res.mode == "skipped" and not (gdq & JUMP).any()


def test_sigma_clip_mode_is_chosen_for_many_integrations(rng):
    data, gain, rn, hits = simulate(rng, nints=110, ngroups=4, ny=6, nx=7, n_cr=20)
    gdq = np.zeros(data.shape, np.uint8)
    res = detect_jumps_twopoint(data, gdq, gain, rn, flag_4_neighbors=False)
    assert res.mode == "sigma_clip"
    assert np.mean([gdq[h] & JUMP != 0 for h in hits]) > 0.9


def test_big_endian_and_3d_input(rng):
    data, gain, rn, _ = simulate(rng)
    a = np.zeros(data.shape, np.uint8)
    detect_jumps_twopoint(data, a, gain, rn)
    b = np.zeros(data.shape[1:], np.uint8)
    detect_jumps_twopoint(data[0].astype(">f4"), b, gain.astype(">f4"), rn.astype(">f8"))
    np.testing.assert_array_equal(a[0], b)


def test_validation_messages():
    data = np.zeros((1, 4, 3, 3), np.float32)
    gdq = np.zeros(data.shape, np.uint8)
    ones = np.ones((3, 3))
    with pytest.raises(ValueError, match="groupdq must be an array of shape"):
        detect_jumps_twopoint(data, gdq[0], ones, ones)
    with pytest.raises(ValueError, match="uint8"):
        detect_jumps_twopoint(data, gdq.astype(np.int16), ones, ones)
    with pytest.raises(ValueError, match="gain has shape"):
        detect_jumps_twopoint(data, gdq, np.ones((2, 3)), ones)
    with pytest.raises(ValueError, match="3-D or 4-D"):
        detect_jumps_twopoint(data[0, 0], gdq[0, 0], ones, ones)
    with pytest.raises(ValueError, match="group_time"):
        detect_jumps_twopoint(data, gdq, ones, ones, after_jump_flag_time1=10.0)
    with pytest.raises(ValueError, match="n_threads"):
        detect_jumps_twopoint(data, gdq, ones, ones, n_threads=0)
    with pytest.raises(ValueError, match="nframes"):
        detect_jumps_twopoint(data, gdq, ones, ones, nframes=0)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize(
    "kind", ["normal", "integers", "cauchy", "specials", "wide", "constant", "all_nan"]
)
@pytest.mark.parametrize("size", [1, 2, 7, 64, 1001])
def test_gain_median_equals_numpy_nanmedian(rng, kind, size, n_threads):
    """The radix-select median of the after-jump thresholds is numpy's float32 nanmedian
    (ties, signed zeros, infinities, NaNs left out, even and odd counts)."""
    import warnings

    from jwcore.jump.twopoint import gain_median

    n = size * 3
    values = {
        "normal": lambda: rng.normal(2.0, 0.05, n),
        "integers": lambda: rng.integers(-3, 3, n).astype(float),
        "cauchy": lambda: rng.standard_cauchy(n),
        "specials": lambda: rng.choice([0.0, -0.0, np.inf, -np.inf, 1e-40, -1e-40, 3.0], n),
        "wide": lambda: rng.normal(0.0, 1e30, n),
        "constant": lambda: np.full(n, 2.0),
        "all_nan": lambda: np.full(n, np.nan),
    }[kind]()
    a = values.astype(np.float32).reshape(3, size)
    a[rng.random(a.shape) < 0.1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.float32(np.nanmedian(a))
    got = gain_median(a, n_threads)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
