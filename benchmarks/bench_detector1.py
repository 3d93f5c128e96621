"""calwebb_detector1 end to end: ``python -m jwcal detector1`` against jwst 3.0.0, one run.

Simulated NIRCam NRCA1 exposures (BRIGHT2, the simulator's sky, stars, cosmic rays and
reference files): a full frame with 10 groups x 1 integration, a full frame with 5 groups x
3 integrations, and a subarray with 10 groups x 1 integration.  Each pipeline runs as a
fresh process on the command line, as a user would run it (jwcal: ``python -m jwcal
detector1 FILE --refdir REFS``; jwst: ``Detector1Pipeline.call`` offline with every
reference file overridden, which is what ``strun`` does), one thread, the two alternating so
that both see the same machine load.  Reported per case: the median wall time, the median
CPU time (user + system: less sensitive to other jobs on a shared machine) and the peak
resident memory of each process, and the ratios.

    python benchmarks/bench_detector1.py                       # the three cases, 3 runs each
    python benchmarks/bench_detector1.py --cases full10 --repeat 1
    python benchmarks/bench_detector1.py --big                 # + 100 groups x 5 ints, jwcal only

``--big`` simulates a 2048x2048 exposure of 100 groups and 5 integrations (a 4.2 GB raw file;
the simulation takes a long while and ~8 GB of disk) and reports jwcal's peak memory on it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    # name: (subarray, ngroups, nints)
    "full10": ("FULL", 10, 1),
    "full5x3": ("FULL", 5, 3),
    "sub320": ("SUB320", 10, 1),
}
BIG = ("FULL", 100, 5)

_JWST = r"""
import json, sys
args = json.loads(sys.argv[1])
from jwcal.testing.oracle import pipeline_overrides
from jwst.pipeline import Detector1Pipeline
steps = pipeline_overrides("jwst.pipeline.Detector1Pipeline", args["refs"])
Detector1Pipeline.call(args["input"], output_dir=args["out"], save_results=True, steps=steps)
"""


_SIMULATE = r"""
import json, sys
from jwcal.simulate import simulate_exposure
a = json.loads(sys.argv[1])
sim = simulate_exposure(a["dir"], "nircam", "nrca1", subarray=a["sub"], readpatt="BRIGHT2",
                        ngroups=a["ngroups"], nints=a["nints"], seed=a["seed"])
print(json.dumps({"uncal": str(sim.uncal), "refdir": a["dir"] + "/refs",
                  "refs": sim.refs_by_type()}))
"""

_OFFLINE = r"""
import json, sys
from jwcal.testing.oracle import offline_environment
print(json.dumps(offline_environment(sys.argv[1])))
"""


def simulate(workdir: Path, name: str, spec, seed: int):
    """The simulated exposure of a case (made once, reused by later runs).

    Simulations run in their own process: this one stays small, because a child's peak
    RSS as the kernel reports it starts from its parent's size at the fork.
    """
    sub, ngroups, nints = spec
    d = workdir / name
    done = d / "done.json"
    if done.exists():
        return json.loads(done.read_text())
    t = time.perf_counter()
    a = {"dir": str(d), "sub": sub, "ngroups": ngroups, "nints": nints, "seed": seed}
    out = subprocess.run(
        [sys.executable, "-c", _SIMULATE, json.dumps(a)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info = json.loads(out.strip().splitlines()[-1])
    done.write_text(json.dumps(info))
    print(f"simulated {name} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return info


def timed(cmd, env) -> dict:
    """Run a command; its wall time, CPU time and peak RSS (from its own rusage)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[:4]} failed:\n{err[-3000:]}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_mb": ru.ru_maxrss / 1024}


def run_jwcal(info, out: Path) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [
        sys.executable, "-m", "jwcal", "detector1", info["uncal"], "--refdir", info["refdir"],
        "--output_dir", str(out),
    ]  # fmt: skip
    return timed(cmd, env)


def offline_env(scratch: Path) -> dict:
    """The environment in which jwst runs with no CRDS server (computed in a child)."""
    out = subprocess.run(
        [sys.executable, "-c", _OFFLINE, str(scratch)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def run_jwst(info, out: Path, scratch: Path) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env.update(offline_env(scratch))
    payload = json.dumps({"input": info["uncal"], "refs": info["refs"], "out": str(out)})
    return timed([sys.executable, "-c", _JWST, payload], env)


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", default="bench_detector1_work", help="simulations and outputs")
    ap.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big", action="store_true", help="also 100 groups x 5 ints (jwcal only)")
    ap.add_argument("--no-jwst", action="store_true", help="time jwcal only")
    args = ap.parse_args(argv)
    work = Path(args.workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)

    rows = []
    for seed, name in enumerate(args.cases):
        info = simulate(work, name, CASES[name], seed + 100)
        ours, theirs = [], []
        for k in range(args.repeat):
            ours.append(run_jwcal(info, work / name / f"out_jwcal{k}"))
            if not args.no_jwst:
                theirs.append(run_jwst(info, work / name / f"out_jwst{k}", work / "crds"))
            print(f"{name} run {k + 1}: jwcal {ours[-1]}  jwst {theirs[-1] if theirs else '-'}",
                  file=sys.stderr)  # fmt: skip
        rows.append((name, ours, theirs))

    print("| case | jwst wall | jwcal wall | ratio | jwst CPU | jwcal CPU | ratio "
          "| jwst peak RSS | jwcal peak RSS | ratio |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, ours, theirs in rows:
        sub, ng, ni = CASES[name]
        label = f"{sub} {ng} groups x {ni} int"
        w, c, m = median(ours, "wall"), median(ours, "cpu"), max(r["rss_mb"] for r in ours)
        if theirs:
            tw, tc = median(theirs, "wall"), median(theirs, "cpu")
            tm = max(r["rss_mb"] for r in theirs)
            print(f"| {label} | {tw:.1f} s | {w:.2f} s | {tw / w:.1f}x | {tc:.1f} s | {c:.2f} s "
                  f"| {tc / c:.1f}x | {tm:.0f} MB | {m:.0f} MB | 1/{tm / m:.1f} |")  # fmt: skip
        else:
            print(f"| {label} | - | {w:.2f} s | - | - | {c:.2f} s | - | - | {m:.0f} MB | - |")

    if args.big:
        info = simulate(work, "big", BIG, 99)
        r = run_jwcal(info, work / "big" / "out_jwcal")
        size = Path(info["uncal"]).stat().st_size / 2**30
        print(f"\nFULL 100 groups x 5 ints (raw file {size:.1f} GiB): jwcal wall {r['wall']:.0f} s, "
              f"CPU {r['cpu']:.0f} s, peak RSS {r['rss_mb'] / 1024:.1f} GiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
