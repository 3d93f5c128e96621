"""Reference-pixel correction: jwcore.refpix against jwst 3.0.0's RefPixStep, in one run.

Each implementation (jwst, jwcore with 1 and 2 threads) runs in a process of its own that
builds the inputs; the processes take turns (see turns.py): each round runs jwst once and
each jwcore five times (tens of milliseconds a run), so that all see the same state of this
shared machine.  Reported: the median wall times, their ratios with the range of the
per-round ratios, the peak resident memory during the runs and how much that peak exceeds
the memory held once the inputs exist ("added").  Cases:

- NIRCam NRCA1 full frame 2048 x 2048, 10 groups x 1 integration and 5 groups x 3
  integrations (the issue's cases), with side reference pixels (the default);
- with ``--irs2``: NIRSpec NRS1 IRS2 full frame (3200 x 2048 stored), 4 groups x 1
  integration, bad-pixel flagging, replacement and the Fourier correction;
- with ``--miri``: MIRI full frame 1024 x 1032, 10 groups x 1 integration.

jwst runs as RefPixStep.call on an in-memory model (offline, no CRDS server: see
jwcal.testing.oracle); jwcore runs its kernels on the arrays, in place.

    python benchmarks/kernels/bench_refpix.py [--irs2] [--miri] [--repeat ROUNDS]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
from pathlib import Path

import numpy as np
import turns

HERE = Path(__file__).resolve()
# jwcore's runs take tens of milliseconds: several per round, so that a burst of load on a
# shared machine does not decide the median
EACH = 5

IRS2_TIMES = 712 * 2048


def nircam_data(nints, ngroups, seed=0):
    rng = np.random.default_rng(seed)
    shape = (2048, 2048)
    rate = rng.uniform(0, 30, shape).astype(np.float32)
    data = np.empty((nints, ngroups) + shape, np.float32)
    noise = rng.normal(0, 5, (4096, 2048)).astype(np.float32)
    for i in range(nints):  # shifted windows of one noise field: fast to build
        for g in range(ngroups):
            k = (i * ngroups + g) * 97 % 2048
            data[i, g] = rate * (g + 1) + noise[k : k + 2048]
            data[i, g] += np.float32(rng.normal(0, 20))
    ramp = rate * (np.arange(ngroups)[:, None, None] + 1)
    for edge in (np.s_[:4, :], np.s_[-4:, :], np.s_[:, :4], np.s_[:, -4:]):
        data[(slice(None), slice(None)) + edge] -= ramp[(slice(None),) + edge]  # dark refpix
    return data, np.zeros(shape, np.uint32)


def miri_data(nints, ngroups, seed=0):
    rng = np.random.default_rng(seed)
    shape = (1024, 1032)
    base = rng.normal(10000, 50, shape).astype(np.float32)
    data = np.stack(
        [base + 300 * g + rng.normal(0, 5, shape).astype(np.float32) for g in range(ngroups)]
    )
    return np.broadcast_to(data, (nints, ngroups) + shape).copy(), np.zeros(shape, np.uint32)


def irs2_inputs(ngroups, seed=0):
    rng = np.random.default_rng(seed)
    shape = (3200, 2048)
    noise = rng.normal(0, 5, (3200, 4096)).astype(np.float32)
    data = np.empty((1, ngroups) + shape, np.float32)
    for g in range(ngroups):
        data[0, g] = 1000 + 10 * g + noise[:, g * 101 : g * 101 + 2048]
    f = np.minimum(np.arange(IRS2_TIMES), IRS2_TIMES - np.arange(IRS2_TIMES))
    alpha = (np.exp(-f / 3e4) * (0.7 + 0.05j)).astype(np.complex64)
    beta = (np.exp(-f / 1e4) * (0.2 - 0.02j)).astype(np.complex64)
    return data, np.zeros(shape, np.uint32), np.stack([alpha] * 4), np.stack([beta] * 4)


# ---------------------------------------------------------------- workers
def _model(data, dq, instrument, detector, fast, slow):
    from stdatamodels.jwst import datamodels

    m = datamodels.RampModel(data=data, pixeldq=dq)
    m.meta.instrument.name, m.meta.instrument.detector = instrument, detector
    s = m.meta.subarray
    s.xstart, s.ystart, s.xsize, s.ysize = 1, 1, data.shape[-1], data.shape[-2]
    s.fastaxis, s.slowaxis, s.name = fast, slow, "FULL"
    m.meta.exposure.noutputs = 4
    m.meta.exposure.zero_frame = False
    return m


def _irs2_refmodel(alpha, beta):
    from stdatamodels.jwst import datamodels

    names = [f"alpha_{k}" for k in range(4)] + [f"beta_{k}" for k in range(4)]
    table = np.zeros(2 * IRS2_TIMES, dtype=[(n, np.float32) for n in names])
    for k in range(4):
        table[f"alpha_{k}"] = alpha[k].view(np.float32)
        table[f"beta_{k}"] = beta[k].view(np.float32)
    ref = datamodels.IRS2Model()
    ref.irs2_table = table
    dq = np.zeros(1, dtype=[("output", np.int16), ("odd_even", np.int16), ("mask", np.uint32)])
    dq["output"], dq["odd_even"], dq["mask"] = 1, 1, 1 << 3
    ref.dq_table = dq
    return ref


def _rss_mib():
    """Resident memory now, after resetting the high-water mark (Linux), so that the peak
    read at the end belongs to the timed runs and not to building the inputs."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _jwst_run(model, **overrides):
    from jwst.refpix import RefPixStep

    def run():
        RefPixStep.call(model, override_sirskernel="N/A", **overrides)

    return run


def make_run(case, impl, n_threads):
    """Build the inputs of ``case`` and the function that corrects them once with ``impl``
    (jwcore corrects in place, as the step updates its model)."""
    if case.startswith("nircam"):
        nints, ngroups = {"nircam10x1": (1, 10), "nircam5x3": (3, 5)}[case]
        data, dq = nircam_data(nints, ngroups)
        if impl == "jwst":
            return _jwst_run(_model(data, dq, "NIRCAM", "NRCA1", -1, 2), override_refpix="N/A")
        from jwcore.refpix import subtract_refpix_nir

        def run():
            subtract_refpix_nir(data, dq, fastaxis=-1, slowaxis=2, out=data, n_threads=n_threads)

        return run
    if case == "miri10x1":
        data, dq = miri_data(1, 10)
        if impl == "jwst":
            return _jwst_run(_model(data, dq, "MIRI", "MIRIMAGE", 1, 2), override_refpix="N/A")
        from jwcore.refpix import subtract_refpix_miri

        def run():
            subtract_refpix_miri(data, dq, out=data, n_threads=n_threads)

        return run
    data, dq, alpha, beta = irs2_inputs(4)  # irs2x4
    if impl == "jwst":
        import tempfile

        path = os.path.join(tempfile.mkdtemp(prefix="bench-refpix-"), "irs2_refpix.fits")
        _irs2_refmodel(alpha, beta).save(path)
        model = _model(data, dq, "NIRSPEC", "NRS1", 2, 1)
        model.meta.exposure.nrs_normal, model.meta.exposure.nrs_reference = 16, 4
        return _jwst_run(model, override_refpix=path)
    from jwcore import dqflags
    from jwcore.refpix import (
        apply_irs2_dq_table,
        flag_bad_refpix_irs2,
        replace_bad_refpix_irs2,
        subtract_refpix_irs2,
    )

    pdq = dq.copy()  # (its flags stay set from run to run, as the data stay corrected)

    def run():
        bad = flag_bad_refpix_irs2(data, pdq, n_threads=n_threads)
        pdq[bad] |= dqflags.pixel["BAD_REF_PIXEL"] | dqflags.pixel["DO_NOT_USE"]
        replace_bad_refpix_irs2(data, bad)
        apply_irs2_dq_table(data, pdq, [1], [1], [1 << 3])
        subtract_refpix_irs2(data, alpha, beta, n_threads=n_threads)

    return run


def worker(case, impl, n_threads):
    """The worker side: build the inputs, then time runs as the driver asks (turns.serve).
    ``base_mib`` is the resident memory once the inputs exist (the high-water mark is reset
    there), so the peak minus it is what the correction itself needs."""
    if impl == "jwst":
        from jwcal.testing.oracle import offline_environment

        os.environ.update(offline_environment())
    run = make_run(case, impl, n_threads)
    base = _rss_mib()
    turns.serve(run, lambda: {"base_mib": base})


# ---------------------------------------------------------------- driver
def spec(case, impl, n_threads):
    argv = [sys.executable, str(HERE), "--worker", case, impl, str(n_threads)]
    return argv, f"{impl} {n_threads}t {case}"


def time_in_turns(case, rounds, each):
    """jwst and jwcore (1 and 2 threads) in turns: each one's times, peak and base RSS."""
    specs = {"jwst": spec(case, "jwst", 1), 1: spec(case, "jwcore", 1), 2: spec(case, "jwcore", 2)}
    with turns.started(specs) as ws:
        turns.take_turns(ws["jwst"], [ws[1], ws[2]], rounds, each)
        ends = {k: w.close() for k, w in ws.items()}
    return {k: (ws[k].times, ends[k]["rss_mb"], ends[k]["base_mib"]) for k in ws}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--irs2", action="store_true", help="also time NIRSpec IRS2 (slow in jwst)")
    ap.add_argument("--miri", action="store_true", help="also time MIRI")
    ap.add_argument("--repeat", type=int, default=3, help="rounds (default 3)")
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        case, impl, nt = args.worker
        worker(case, impl, int(nt))
        return
    cases = ["nircam10x1", "nircam5x3"] + (["miri10x1"] if args.miri else [])
    cases += ["irs2x4"] if args.irs2 else []
    print(f"load average before the run: {' '.join(map(str, os.getloadavg()))} "
          f"(cores: {os.cpu_count()})")  # fmt: skip
    print(f"in turns: {args.repeat} rounds of one jwst run and {EACH} of each jwcore; medians")
    print(
        f"{'case':12} {'impl':16} {'median s':>9} {'peak MiB':>9} {'added MiB':>9} {'speed-up':>9}"
    )
    for case in cases:
        res = time_in_turns(case, args.repeat, EACH)
        ref_t = statistics.median(res["jwst"][0])
        _, peak, base = res["jwst"]
        print(f"{case:12} {'jwst RefPixStep':16} {ref_t:9.3f} {peak:9.0f} {peak - base:9.0f}")
        one = statistics.median(res[1][0])
        for nt in (1, 2):
            times, peak, base = res[nt]
            t = statistics.median(times)
            # per round: jwst's run over the median of jwcore's runs of that round
            rounds = [ref / statistics.median(times[EACH * r : EACH * r + EACH])
                      for r, ref in enumerate(res["jwst"][0])]  # fmt: skip
            extra = f"  (2 vs 1 thread: {one / t:.2f}x)" if nt == 2 else ""
            print(
                f"{case:12} {f'jwcore {nt} thread':16} {t:9.3f} {peak:9.0f} {peak - base:9.0f} "
                f"{ref_t / t:8.1f}x (rounds x{min(rounds):.1f}-{max(rounds):.1f}){extra}"
            )
    print(f"load average after the run: {' '.join(map(str, os.getloadavg()))}")


if __name__ == "__main__":
    main()
