"""Ramp-fitting kernels against stcal 1.20.0 (OLS_C and LIKELY), side by side in one run.

Builds simulated NIRCam-like ramps (2048x2048 by default; sky, stars that saturate, cosmic
rays flagged for OLS, left for LIKELY to find), then times each implementation in its own
process (so that each peak RSS is its own): stcal, and jwcore with 1 and 2 threads, with
new products and with its products written over the ramps (``rate_out``/``rateints_out``:
the rateints in groups 0-4 of each integration, the rate in five more groups if there are,
as jwcal's ramp_fit step lays them; the ramps are read back from disk, untimed, before each
of those runs).  The processes take turns: each round runs stcal once and each jwcore
twice, so that all of them see the same state of a shared machine (its speed drifts by up
to 2x over minutes here).  Reports the median of the wall times, the ratio of the medians,
the range of the per-round ratios, and the peak RSS of each process (the input arrays it
loads are included; their size is printed).  After the timed rounds, stcal and jwcore (1
thread, new products) each fit once more and their rate products are compared: the share
of identical DQ and float32 values, and the largest relative difference.

    python benchmarks/kernels/bench_ramp.py                      # both cases, both algorithms
    python benchmarks/kernels/bench_ramp.py --size 1024 --algorithms ols --repeat 3
    python benchmarks/kernels/bench_ramp.py --likely-rows 256    # stcal LIKELY on 256 rows, scaled

stcal's LIKELY is timed on the whole frame by default, 20-23 s a run here.  ``--likely-rows
N`` times it on the first N rows and scales the time by ny / N, quicker but flattering to
stcal: its time grows faster than the number of rows, as its DQ mask of each row
(``determine_diffs2use``) allocates and fills an array the size of the whole integration's
differences.  Scaled from 256 rows it took 9.8 s for 10x1 and 13.7-15.7 s for 5x3, against
21-22 s and 19.7-23.0 s for the frame.  jwcore is always timed on the whole frame; the
report says when stcal was not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import turns

HERE = Path(__file__).resolve().parent

CASES = {"10x1": (1, 10), "5x3": (3, 5)}  # name: (nints, ngroups)
FRAME_TIME = 10.73677  # NIRCam full frame
NFRAMES = 2  # BRIGHT2
GROUP_TIME = FRAME_TIME * NFRAMES


def simulate(nints, ngroups, size, seed=0):
    rng = np.random.default_rng(seed)
    ny = nx = size
    rate = rng.gamma(2.0, 0.5, (ny, nx))  # sky, DN/s
    stars = rng.random((ny, nx)) < 2e-3
    rate[stars] += rng.pareto(1.5, stars.sum()) * 50.0
    gain = rng.normal(2.0, 0.05, (ny, nx)).astype(np.float32)
    rn = rng.normal(12.0, 1.0, (ny, nx)).astype(np.float32)
    data = np.empty((nints, ngroups, ny, nx), np.float32)
    gdq = np.zeros(data.shape, np.uint8)
    for i in range(nints):
        acc = np.full((ny, nx), 12000.0)
        for g in range(ngroups):
            acc += rng.poisson(rate * gain * GROUP_TIME) / gain
            data[i, g] = acc + rng.normal(0.0, 1.0, (ny, nx)) * rn / np.sqrt(2 * NFRAMES)
    cr = rng.random(data.shape) < 3e-4
    cr[:, 0] = False
    data += np.cumsum(cr * rng.uniform(50.0, 5000.0, data.shape), axis=1).astype(np.float32)
    gdq[cr] |= 4
    gdq[np.maximum.accumulate(data > 60000.0, axis=1)] |= 2
    return data, gdq, np.zeros((ny, nx), np.uint32), rn, gain


WORKER = textwrap.dedent(
    """
    import sys
    import numpy as np
    d = sys.argv[1]; impl, algo, rows = sys.argv[2], sys.argv[3], int(sys.argv[4])
    data = np.load(d + "/data.npy"); gdq = np.load(d + "/gdq.npy"); pdq = np.load(d + "/pdq.npy")
    rn = np.load(d + "/rn.npy"); gain = np.load(d + "/gain.npy")
    if rows:
        data, gdq = data[:, :, :rows].copy(), gdq[:, :, :rows].copy()
        pdq, rn, gain = pdq[:rows].copy(), rn[:rows].copy(), gain[:rows].copy()
    if algo == "likely":
        gdq &= ~np.uint8(4)
    ft, nf = float(sys.argv[5]), int(sys.argv[6])
    gt = ft * nf
    KEYS = ("slope", "dq", "var_poisson", "var_rnoise", "err")
    if impl == "stcal":
        import logging
        logging.disable(logging.INFO)
        from stcal.ramp_fitting import ramp_fit
        from stcal.ramp_fitting.ramp_fit_class import RampData
        from stdatamodels.jwst.datamodels import dqflags
        def run():
            rd = RampData()
            rd.set_arrays(data, gdq.copy(), pdq, np.zeros(pdq.shape, np.float32))
            rd.set_meta(name="NIRCAM", frame_time=ft, group_time=gt, groupgap=0, nframes=nf, drop_frames1=0)
            rd.algorithm = "OLS_C" if algo == "ols" else "LIKELY"
            rd.set_dqflags(dqflags.pixel)
            rd.start_row, rd.num_rows = 0, data.shape[2]
            rd.suppress_one_group_ramps = True
            return ramp_fit.ramp_fit_data(rd, False, rn.copy(), gain, rd.algorithm, "optimal",
                                          "none")[0]
    else:
        from jwcore.ramp import fit_ramps_likely, fit_ramps_ols
        nt, over = int(impl.rstrip("o")), impl.endswith("o")
        if over:
            from jwcal.steps.ramp_fit.fitting import products_over_ramps
        def place():
            # the step's placement (one integration's LIKELY rate is the rateints' plane)
            if not over:
                return {}
            rate, ints = products_over_ramps(data)
            if algo == "likely" and data.shape[0] == 1:
                rate = None
            return {"rate_out": rate, "rateints_out": ints}
        def run():
            if algo == "ols":
                r = fit_ramps_ols(data, gdq, pdq, rn, gain, frame_time=ft, group_time=gt,
                                  nframes=nf, suppress_one_group=True, n_threads=nt, **place())
            else:
                r = fit_ramps_likely(data, gdq, pdq, rn, gain, frame_time=ft, nframes=nf,
                                     n_threads=nt, **place())
            return {k: getattr(r.rate, k) for k in KEYS}
    def report():
        # one more run once the peak RSS is taken, its rate products kept for the comparison
        if impl in ("stcal", "1"):
            out = run()
            np.savez(f"{d}/rate_{impl}_{algo}.npz", **{k: out[k] for k in KEYS})
        return {}
    def restore():
        with open(d + "/data.npy", "rb") as f:
            np.lib.format.read_magic(f)
            np.lib.format.read_array_header_1_0(f)
            f.readinto(memoryview(data).cast("B"))
    sys.path.insert(0, sys.argv[7])
    from turns import serve
    serve(run, report, restore if impl.endswith("o") else None)
    """
)


def worker_spec(tmp, impl, algo, rows):
    argv = [sys.executable, "-c", WORKER, tmp, impl, algo, str(rows), str(FRAME_TIME),
            str(NFRAMES), str(HERE)]  # fmt: skip
    return argv, f"{impl} {algo}"


JWCORE = ("1", "2", "1o", "2o")  # threads; "o": products over the ramps


def time_in_turns(tmp, algo, rounds, rows):
    """stcal and jwcore (1 and 2 threads, new products and over the ramps) in turns: their
    times, peak RSS and, per round, stcal's time over the median of jwcore's two."""
    specs = {"stcal": worker_spec(tmp, "stcal", algo, rows)}
    specs.update({nt: worker_spec(tmp, nt, algo, 0) for nt in JWCORE})
    with turns.started(specs) as ws:
        turns.take_turns(ws["stcal"], [ws[nt] for nt in JWCORE], rounds)
        rss = {k: w.close()["rss_mb"] for k, w in ws.items()}
    times = {k: w.times for k, w in ws.items()}
    per_round = {
        nt: [ref / statistics.median(times[nt][2 * r : 2 * r + 2])
             for r, ref in enumerate(times["stcal"])]
        for nt in JWCORE
    }  # fmt: skip
    return times, rss, per_round


def agreement(tmp, algo, rows):
    """jwcore (1 thread) against stcal on the rows stcal fitted, rate products: the share of
    pixels with the same DQ, of float32 values with the same bits, and the largest relative
    difference where both are finite and stcal's value is not within 1e-9 of zero (there a
    relative difference measures rounding: stcal's flat ramps have slopes of ~1e-13)."""
    ref, ours = (np.load(f"{tmp}/rate_{impl}_{algo}.npz") for impl in ("stcal", "1"))
    n = rows or ref["dq"].shape[0]
    parts = [f"DQ {np.mean(ref['dq'][:n] == ours['dq'][:n]) * 100:.4f}%"]
    worst = 0.0
    for key in ("slope", "var_poisson", "var_rnoise", "err"):
        a, b = ref[key][:n].astype(np.float64), ours[key][:n].astype(np.float64)
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        parts.append(f"{key} {same.mean() * 100:.4f}%")
        use = np.isfinite(a) & np.isfinite(b) & (np.abs(a) > 1e-9)
        if use.any():
            worst = max(worst, float(np.max(np.abs(b[use] / a[use] - 1.0))))
    return f"same: {', '.join(parts)}; max rel. diff {worst:.1e}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--cases", default="10x1,5x3")
    ap.add_argument("--algorithms", default="ols,likely")
    ap.add_argument("--repeat", type=int, default=5, help="rounds (default 5)")
    ap.add_argument("--likely-rows", type=int, default=0, help="rows for stcal LIKELY (0: all)")
    args = ap.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}")
    rows_out = []
    for case in args.cases.split(","):
        nints, ngroups = CASES[case]
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            arrays = simulate(nints, ngroups, args.size)
            for name, a in zip(("data", "gdq", "pdq", "rn", "gain"), arrays, strict=True):
                np.save(f"{tmp}/{name}.npy", a)
            mb = sum(a.nbytes for a in arrays) / 2**20
            print(f"\n{args.size}x{args.size}, {ngroups} groups x {nints} ints "
                  f"(inputs {mb:.0f} MB, simulated in {time.perf_counter() - t0:.0f} s)")  # fmt: skip
            for algo in args.algorithms.split(","):
                rows = args.likely_rows if algo == "likely" and args.likely_rows < args.size else 0
                scale = args.size / rows if rows else 1
                times, rss, per_round = time_in_turns(tmp, algo, args.repeat, rows)
                ref_t = statistics.median(times["stcal"]) * scale
                note = f" (timed on {rows} rows, scaled)" if rows else ""
                print(f"  {algo:6s} stcal      {ref_t:8.3f} s  rss {rss['stcal']:6.0f} MB{note}")
                for nt in JWCORE:
                    t = statistics.median(times[nt])
                    lo, hi = (min(per_round[nt]) * scale, max(per_round[nt]) * scale)
                    how = ", over the ramps" if nt.endswith("o") else ""
                    print(f"  {algo:6s} jwcore {nt[0]}t  {t:8.3f} s  rss {rss[nt]:6.0f} MB  "
                          f"x{ref_t / t:6.1f} faster (rounds x{lo:.1f}-{hi:.1f}{how})")  # fmt: skip
                    rows_out.append((case, algo, nt, t, ref_t, rss[nt], rss["stcal"]))
                on = f" (first {rows} rows)" if rows else ""
                print(f"  {algo:6s} 1t vs stcal{on}, rate: {agreement(tmp, algo, rows)}")
    print(f"\nload average at the end: {os.getloadavg()}")
    return rows_out


if __name__ == "__main__":
    main()
