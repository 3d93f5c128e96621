"""Jump detection: jwcore against stcal 1.20.0 on simulated NIRCam-like full frames.

Run from the repository with the test extra installed::

    python benchmarks/kernels/bench_jump.py            # both cases
    python benchmarks/kernels/bench_jump.py --quick    # 512x512, for a smoke run

Each implementation runs in its own process (so that its peak RSS is its own) on the same
seeded ramps: 2048x2048 with 10 groups x 1 integration and 5 groups x 3 integrations, four
neighbour flagging and after-jump flagging on.  The processes take turns (see turns.py):
each of 3 rounds runs stcal once and jwcore with 1 and 2 threads twice each.  Reported:
the median wall times, the ratios to stcal, peak RSS, and whether the flags agree.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np
import turns

GROUP_TIME = 10.737
PARAMS = dict(
    rejection_threshold=4.0,
    three_group_rejection_threshold=6.0,
    four_group_rejection_threshold=5.0,
    flag_4_neighbors=True,
    max_jump_to_flag_neighbors=1000.0,
    min_jump_to_flag_neighbors=10.0,
    after_jump_flag_dn1=1000.0,
    after_jump_flag_time1=30.0,
    after_jump_flag_dn2=10000.0,
    after_jump_flag_time2=100.0,
)
CASES = {"10x1": (1, 10), "5x3": (3, 5)}


def simulate(nints, ngroups, n, seed=2024):
    """Ramps in DN: bias, Poisson signal, read noise, cosmic rays (about 1% of pixels)."""
    rng = np.random.default_rng(seed)
    gain, rn = 2.0, 12.0
    rate = rng.gamma(1.5, 20.0, (n, n)).astype(np.float32)  # e-/group
    data = np.empty((nints, ngroups, n, n), np.float32)
    for i in range(nints):
        acc = np.zeros((n, n), np.float32)
        for g in range(ngroups):
            acc += rng.poisson(rate).astype(np.float32)
            data[i, g] = 1000 + acc / gain
        data[i] += rng.normal(0, rn / np.sqrt(2), (ngroups, n, n)).astype(np.float32)
        ncr = n * n // 100
        ys, xs = rng.integers(0, n, ncr), rng.integers(0, n, ncr)
        gs = rng.integers(1, ngroups, ncr)
        amp = rng.lognormal(6, 1.2, ncr).astype(np.float32)
        for g in range(1, ngroups):
            sel = gs <= g
            np.add.at(data[i, g], (ys[sel], xs[sel]), amp[sel])
    gdq = np.zeros(data.shape, np.uint8)
    return data, gdq, np.full((n, n), gain, np.float32), np.full((n, n), rn, np.float32)


def run_ours(data, gdq, gain, rn, n_threads, out=None):
    """Flags into ``out`` (reset to ``gdq`` first; a fresh copy when not given).  The JWST
    step flags its model's GROUPDQ in place: the worker passes the same buffer every run, so
    that a run does not also time the kernel faulting in 40-60 MB of new pages."""
    from jwcore.jump import detect_jumps_twopoint

    if out is None:
        out = gdq.copy()
    else:
        np.copyto(out, gdq)
    detect_jumps_twopoint(data, out, gain, rn, group_time=GROUP_TIME, n_threads=n_threads, **PARAMS)
    return out


def run_stcal(data, gdq, gain, rn):
    sys.path.insert(0, "tests/parity")
    from test_jump_kernels import run_stcal as stcal

    return stcal(data, gdq, gain, rn, **PARAMS)[0]


def worker(impl, case, n, n_threads):
    """The worker side: simulate, then time runs as asked; the last flags are saved."""
    nints, ngroups = CASES[case]
    data, gdq, gain, rn = simulate(nints, ngroups, n)
    flags = {}
    buf = np.empty_like(gdq)

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if impl == "stcal":
                flags["last"] = run_stcal(data, gdq, gain, rn)
            else:
                flags["last"] = run_ours(data, gdq, gain, rn, n_threads, buf)

    def report():
        np.save(f"/tmp/bench_jump_{impl}{n_threads}_{case}.npy", flags["last"])
        return {}

    turns.serve(run, report)


def spec(impl, case, n, n_threads=1):
    argv = [sys.executable, __file__, "--worker", impl, case, str(n), str(n_threads)]
    return argv, f"{impl} {n_threads}t {case}"


def time_in_turns(case, n, rounds=3):
    """stcal and jwcore (1 and 2 threads) in turns: median time and peak RSS (GB) of each."""
    specs = {
        "stcal": spec("stcal", case, n),
        1: spec("ours", case, n, 1),
        2: spec("ours", case, n, 2),
    }
    with turns.started(specs) as ws:
        turns.take_turns(ws["stcal"], [ws[1], ws[2]], rounds)
        return {k: (float(np.median(w.times)), w.close()["rss_mb"] / 1024) for k, w in ws.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="512x512 instead of 2048x2048")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        impl, case, n, nt = args.worker
        worker(impl, case, int(n), int(nt))
        return
    n = 512 if args.quick else 2048
    print(
        f"jump detection, {n}x{n}, neighbour and after-jump flagging on, in turns: "
        "median of 3 (stcal) and 6 (jwcore)"
    )
    print(
        f"{'case':6} {'stcal s':>8} {'ours 1t':>8} {'ours 2t':>8} {'x 1t':>6} {'x 2t':>6}"
        f" {'2t/1t':>6} {'RSS st':>7} {'RSS 1t':>7} {'agree %':>8}"
    )
    for case in CASES:
        res = time_in_turns(case, n)
        st, o1, o2 = ({"median": m, "rss_gb": r} for m, r in (res["stcal"], res[1], res[2]))
        a = np.load(f"/tmp/bench_jump_stcal1_{case}.npy")
        b = np.load(f"/tmp/bench_jump_ours1_{case}.npy")
        c = np.load(f"/tmp/bench_jump_ours2_{case}.npy")
        assert np.array_equal(b, c), "thread count changed the flags"
        agree = 100.0 * np.count_nonzero(a == b) / a.size
        print(
            f"{case:6} {st['median']:8.2f} {o1['median']:8.3f} {o2['median']:8.3f}"
            f" {st['median'] / o1['median']:6.1f} {st['median'] / o2['median']:6.1f}"
            f" {o1['median'] / o2['median']:6.2f} {st['rss_gb']:6.2f}G {o1['rss_gb']:6.2f}G"
            f" {agree:8.4f}"
        )


if __name__ == "__main__":
    main()
