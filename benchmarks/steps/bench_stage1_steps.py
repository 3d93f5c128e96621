"""Stage-1 detector steps of jwcal against jwst 3.0.0, side by side in one run.

Simulates a NIRCam NRCA1 exposure (full frame, RAPID, 10 groups, 1 integration by default;
frame-resolved dark), runs jwcal's dq_init and saturation on it, then times each step on
that in-memory ramp in two fresh processes, one per pipeline (each step call includes the
copy of the input both make): ipc, superbias, linearity, dark_current, charge_migration,
persistence, and clean_flicker_noise (median method, draft rate included).  Reports the
best wall time of ``--repeat`` calls (the first call of a process also pays one-time costs
such as imports and reading reference files), the ratio, and each process's peak RSS.

    python benchmarks/steps/bench_stage1_steps.py
    python benchmarks/steps/bench_stage1_steps.py --subarray SUB320 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

STEPS = {  # alias: (jwst class, reference types, parameters)
    "ipc": ("jwst.ipc.IPCStep", ("ipc",), {}),
    "superbias": ("jwst.superbias.SuperBiasStep", ("superbias",), {}),
    "linearity": ("jwst.linearity.LinearityStep", ("linearity",), {}),
    "dark_current": ("jwst.dark_current.DarkCurrentStep", ("dark",), {}),
    "charge_migration": ("jwst.charge_migration.ChargeMigrationStep", (), {}),
    "persistence": ("jwst.persistence.PersistenceStep", (), {"persistence_time": 1000}),
    "clean_flicker_noise": ("jwst.clean_flicker_noise.CleanFlickerNoiseStep",
                            ("flat", "pastasoss"), {}),
}  # fmt: skip

WORKER = textwrap.dedent(
    """
    import json, logging, sys, time
    args = json.loads(sys.argv[1])
    logging.disable(logging.WARNING)
    impl, refs, repeat = args["impl"], args["refs"], args["repeat"]
    if impl == "jwst":
        from stdatamodels.jwst.datamodels import RampModel
        import jwst.ramp_fitting
        rf = jwst.ramp_fitting.RampFitStep
        orig = rf.__init__
        def init(self, *a, **k):
            orig(self, *a, **k)
            self.override_gain, self.override_readnoise = refs["gain"], refs["readnoise"]
        rf.__init__ = init
    else:
        from jwcal.datamodels import RampModel
    import importlib
    model = RampModel(args["input"])
    _ = model.data, model.groupdq, model.pixeldq
    out = {}
    for alias, (cls, rts, params) in args["steps"].items():
        if impl == "jwst":
            mod, _, name = cls.rpartition(".")
            klass = getattr(importlib.import_module(mod), name)
        else:
            from jwcal.stpipe.registry import resolve_class
            klass = resolve_class(alias)[0]
        kw = {f"override_{rt}": refs.get(rt, "N/A") for rt in rts}
        if impl != "jwst" and alias == "clean_flicker_noise":
            kw.update(override_gain=refs["gain"], override_readnoise=refs["readnoise"])
        kw.update(params)
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            klass.call(model, **kw)
            times.append(time.perf_counter() - t)
        out[alias] = times
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")]
    out["rss_mb"] = int(hwm[0].split()[1]) / 1024
    print(json.dumps(out))
    """
)


def _worker(impl, inp, refs, steps, repeat, env):
    payload = json.dumps({"impl": impl, "input": inp, "refs": refs, "repeat": repeat,
                          "steps": {k: list(v) for k, v in steps.items()}})  # fmt: skip
    out = subprocess.run([sys.executable, "-c", WORKER, payload], capture_output=True,
                         text=True, check=True, env=env)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--subarray", default="FULL")
    ap.add_argument("--ngroups", type=int, default=10)
    ap.add_argument("--nints", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--steps", default=",".join(STEPS))
    args = ap.parse_args(argv)
    from jwcal.simulate import simulate_exposure
    from jwcal.steps.dq_init import DQInitStep
    from jwcal.steps.saturation import SaturationStep
    from jwcal.testing.oracle import offline_environment

    steps = {k: STEPS[k] for k in args.steps.split(",")}
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        sim = simulate_exposure(tmp, "nircam", "nrca1", subarray=args.subarray, readpatt="RAPID",
                                ngroups=args.ngroups, nints=args.nints, seed=1)  # fmt: skip
        refs = sim.refs_by_type()
        m = DQInitStep.call(str(sim.uncal), override_mask=refs["mask"])
        m = SaturationStep.call(m, override_saturation=refs["saturation"],
                                override_superbias=refs["superbias"])  # fmt: skip
        inp = os.path.join(tmp, "jw_bench_saturation.fits")
        m.save(inp)
        print(f"{args.subarray} NRCA1 RAPID, {args.ngroups} groups x {args.nints} ints "
              f"(prepared in {time.perf_counter() - t0:.0f} s)")  # fmt: skip
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        env.update(offline_environment(os.path.join(tmp, "crds")))
        theirs = _worker("jwst", inp, refs, steps, args.repeat, env)
        ours = _worker("jwcal", inp, refs, steps, args.repeat, env)
    print(f"{'step':22s} {'jwst':>9s} {'jwcal':>9s} {'ratio':>7s}")
    for alias in steps:
        a, b = min(theirs[alias]), min(ours[alias])
        print(f"{alias:22s} {a:8.3f}s {b:8.3f}s {a / b:6.1f}x")
    print(f"peak RSS: jwst {theirs['rss_mb']:.0f} MB, jwcal {ours['rss_mb']:.0f} MB")
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
