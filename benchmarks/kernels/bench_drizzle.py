"""Benchmark: jwcore.resample against drizzle 2.2.0 and gwcs, in the same run.

Cases (NIRCam full frame, 2048 x 2048, onto a 2100 x 2100 grid, square kernel, pixfrac 1):

- ``sci``: one image with ivm weights and context, jwcore (1 and 2 threads) vs
  ``drizzle.resample.Drizzle.add_image``.
- ``sci+var``: what jwst's resample step drizzles per exposure: SCI with context, then the
  three variance arrays (stcal: one fresh Drizzle per sqrt(variance)); jwcore does all of
  it in one pass (extra arrays with their own weight, ``out_wht_extra``).
- ``pixmap``: input pixel -> sky -> output pixel for a gwcs input WCS with a degree-5
  distortion: exact gwcs evaluation on every pixel (stcal's calc_pixmap) vs jwcore
  (gwcs on a 32-pixel grid, C TAN projection, C interpolation).

Each implementation runs in a process of its own (so that its peak RSS is its own), and the
three processes of a case take turns (see turns.py): each of 3 rounds runs the official
code once and jwcore with 1 and 2 threads twice each, so that all see the same state of this
shared machine.  Reported: median wall times, ratios, the range of the per-round ratios (1
thread) and peak RSS.  Usage: ``python benchmarks/kernels/bench_drizzle.py``.
"""

import os
import statistics
import sys
import warnings
from pathlib import Path

import numpy as np
import turns

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[2] / "tests" / "jwcore" / "resample"))

SHAPE = (2048, 2048)
OSHAPE = (2100, 2100)
ROUNDS = 3  # of one official run ...
EACH = 2  # ... and this many of each jwcore


def _inputs():
    from driz_helpers import nircam_like_pixmap

    rng = np.random.default_rng(1)
    data = rng.normal(1.0, 0.1, SHAPE).astype(np.float32)
    var = [rng.uniform(0.5, 2.0, SHAPE).astype(np.float32) for _ in range(3)]
    weight = (1.0 / var[0]).astype(np.float32)
    pm = nircam_like_pixmap(SHAPE, shift=(30.3, 20.7))
    return data, var, weight, pm


def run_ours(case, n_threads):
    from jwcore.resample import drizzle_add_image

    data, var, weight, pm = _inputs()

    def once():
        out, wht = np.zeros(OSHAPE, np.float32), np.zeros(OSHAPE, np.float32)
        con = np.zeros(OSHAPE, np.int32)
        if case == "sci":
            drizzle_add_image(
                data, pm, out, wht, con, weight=weight, fillval=np.nan, n_threads=n_threads
            )
            return
        # one pass: the science into the mosaic, the errors into fresh outputs of their own
        errs = [np.zeros(OSHAPE, np.float32) for _ in var]
        w2 = np.zeros(OSHAPE, np.float32)
        drizzle_add_image(
            data,
            pm,
            out,
            wht,
            con,
            weight=weight,
            extra=[np.sqrt(v) for v in var],
            out_extra=errs,
            out_wht_extra=w2,
            fillval=np.nan,
            n_threads=n_threads,
        )
        for a in errs:
            np.square(a, out=a)

    return once


def run_drizzle(case):
    from drizzle.resample import Drizzle

    data, var, weight, pm = _inputs()

    def once():
        d = Drizzle(kernel="square", out_shape=OSHAPE, fillval="nan")
        d.add_image(data, exptime=1.0, pixmap=pm, weight_map=weight, pixel_scale_ratio=1.0)
        if case == "sci+var":
            for v in var:  # as stcal's Resample._resample_one_variance_array
                dv = Drizzle(kernel="square", out_shape=OSHAPE, fillval=np.nan, disable_ctx=True)
                dv.add_image(
                    np.sqrt(v), exptime=1.0, pixmap=pm, weight_map=weight, pixel_scale_ratio=1.0
                )
                _ = dv.out_img**2

    return once


def run_pixmap(which):
    from driz_helpers import gwcs_pair

    win, tan, wout = gwcs_pair(SHAPE)

    if which == "gwcs":

        def once():
            y, x = np.indices(SHAPE, dtype=np.float64)
            ox, oy = wout.world_to_pixel_values(*win.pixel_to_world_values(x, y))
            return np.dstack([ox, oy])

    else:
        from jwcore.resample import pixmap_from_function, tan_world_to_pixel

        def once():
            def transform(x, y):
                ra, dec = win(x, y, with_bounding_box=False)
                return tan_world_to_pixel(ra, dec, tan["crval"], tan["crpix"], tan["cd"])

            return pixmap_from_function(transform, SHAPE, n_threads=int(which))

    return once


def worker(spec):
    """The worker side: build the inputs of one case, then time runs as the driver asks."""
    kind, arg = spec.split(":")
    warnings.simplefilter("ignore")
    if kind == "pixmap":
        fn = run_pixmap(arg)
    elif arg == "drizzle":
        fn = run_drizzle(kind)
    else:
        fn = run_ours(kind, int(arg))
    turns.serve(fn)


def time_in_turns(off, one, two):
    """The official code and jwcore (1 and 2 threads) in turns: times and peak RSS of each,
    and per round the official time over the median of jwcore's (1 thread)."""
    specs = {k: ([sys.executable, str(HERE), "--worker", v], v) for k, v in
             (("off", off), (1, one), (2, two))}  # fmt: skip
    with turns.started(specs) as ws:
        turns.take_turns(ws["off"], [ws[1], ws[2]], ROUNDS, EACH)
        rss = {k: w.close()["rss_mb"] for k, w in ws.items()}
        times = {k: w.times for k, w in ws.items()}
    rounds = [ref / statistics.median(times[1][EACH * r : EACH * r + EACH])
              for r, ref in enumerate(times["off"])]  # fmt: skip
    return {k: statistics.median(t) for k, t in times.items()}, rss, rounds


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
        return
    load = os.getloadavg()[0]
    print(
        f"jwcore.resample benchmark, {SHAPE[1]}x{SHAPE[0]} -> {OSHAPE[1]}x{OSHAPE[0]}, "
        f"load average at start {load:.2f} on {os.cpu_count()} cores"
    )
    print(
        f"in turns: {ROUNDS} rounds of one official run and {EACH} of each jwcore; "
        "median wall seconds"
    )
    print(
        f"{'case':<8} {'official':>8} {'jwcore 1t':>9} {'ratio':>6} {'rounds':>11} "
        f"{'jwcore 2t':>9} {'ratio':>6} {'2t/1t':>6} {'peak RSS MiB off/1t':>20}"
    )
    rows = [
        ("sci", "sci:drizzle", "sci:1", "sci:2"),
        ("sci+var", "sci+var:drizzle", "sci+var:1", "sci+var:2"),
        ("pixmap", "pixmap:gwcs", "pixmap:1", "pixmap:2"),
    ]
    for name, off, one, two in rows:
        t, rss, rounds = time_in_turns(off, one, two)
        span = f"{min(rounds):.1f}-{max(rounds):.1f}"
        print(
            f"{name:<8} {t['off']:>8.2f} {t[1]:>9.3f} {t['off'] / t[1]:>6.1f} {span:>11} "
            f"{t[2]:>9.3f} {t['off'] / t[2]:>6.1f} {t[1] / t[2]:>6.2f} "
            f"{rss['off']:>12.0f}/{rss[1]:.0f}"
        )


if __name__ == "__main__":
    main()
