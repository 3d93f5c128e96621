"""jwcal against the official JWST pipeline, side by side: one command, one table.

    python benchmarks/run.py --quick                 # small cases, 1 run each: a few minutes
    python benchmarks/run.py                         # the full set, 3 runs each
    python benchmarks/run.py --cases pipeline detector1-sub --repeat 2
    python benchmarks/run.py --dry-run               # list the cases and their inputs
    python benchmarks/run.py --update-readme         # then rewrite the README's Performance

Simulates the inputs with ``python -m jwcal simulate`` (cached under benchmarks/cache/ by
parameters and seed), then runs jwcal and -- when jwst is installed -- the official
pipeline on the same files with the same reference files (offline), each in its own
process, alternating and repeated.  Reports median wall and CPU time and peak RSS of each,
the ratios jwst / jwcal and the parity of the outputs, in ``benchmarks/results/<time>.json``
and ``.md``.  ``--cases`` takes case names or groups (pipeline, step, scaling).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import cases as C  # noqa: E402
from harness import inputs, measure, report  # noqa: E402

RESULTS = HERE / "results"
README = HERE.parent / "README.md"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def select(all_cases: list[C.Case], wanted: list[str] | None) -> list[C.Case]:
    if not wanted:
        return all_cases
    out = [c for c in all_cases if c.name in wanted or c.group.split(":")[0] in wanted]
    unknown = set(wanted) - {c.name for c in all_cases} - {c.group.split(":")[0] for c in all_cases}
    if unknown:
        raise SystemExit(f"unknown cases {sorted(unknown)}; known: {[c.name for c in all_cases]}")
    return out


def threads_of(case: C.Case, default: int) -> int:
    return case.threads if case.group == "scaling: threads" else default


def keys(case: C.Case, threads: int) -> tuple[tuple, tuple]:
    """Measurement keys: cases that run the same thing on the same input share them."""
    base = (case.sim.key(), case.input)
    return base + (case.jwcal, threads), base + (case.jwst,)


def outdir(case: C.Case, who: str, threads: int) -> Path:
    name = f"{who}-{case.jwcal}-{case.input}" + (f"-t{threads}" if who == "jwcal" else "")
    return inputs.CACHE / case.sim.key() / "out" / name


#: interpreter that runs jwcal (``--jwcal-python``; None: this one)
JWCAL_PYTHON = {"path": None}


def run_one(who: str, case: C.Case, inp: Path, refdir: Path, threads: int) -> dict:
    out = outdir(case, who, threads)
    if who == "jwcal":
        return measure.run_jwcal(case.jwcal, inp, refdir, out, threads, case.jwcal_args,
                                 python=JWCAL_PYTHON["path"])  # fmt: skip
    return measure.run_jwst(case.jwst, inp, refdir, out, inputs.CACHE / "crds", case.params)


def run_all(cases, args, with_jwst: bool) -> dict:
    """Every case, ``repeat`` times, jwcal and jwst alternating (order flipped every round)."""
    files, timings, failed = {}, {}, {}
    for case in cases:
        try:
            files[case.name] = inputs.input_file(case.sim, case.input, with_jwst)
        except Exception as exc:  # noqa: BLE001 -- report the case as not run, go on
            failed[case.name] = f"input: {str(exc).splitlines()[0]}"
            _log(f"{case.name}: {failed[case.name]}")
    for k in range(args.repeat):
        done = set()
        for case in cases:
            if case.name not in files or case.name in failed or (case.heavy and k > 0):
                continue
            t = threads_of(case, args.threads)
            kc, kj = keys(case, t)
            jobs = [("jwcal", kc)] + ([("jwst", kj)] if with_jwst and case.jwst else [])
            if k % 2:
                jobs.reverse()
            for who, key in jobs:
                if key in done:
                    continue
                done.add(key)
                try:
                    r = run_one(who, case, *files[case.name], t)
                except RuntimeError as exc:
                    failed[case.name] = f"{who} failed: {str(exc).splitlines()[0]}"
                    _log(str(exc))
                    break
                timings.setdefault(key, []).append(r)
                _log(f"[{k + 1}/{args.repeat}] {case.name:22s} {who:5s} wall {r['wall']:7.2f} s"
                     f"  CPU {r['cpu']:7.2f} s  RSS {r['rss_mb']:7.0f} MB")  # fmt: skip
    return {"files": files, "timings": timings, "failed": failed}


def parity(case: C.Case, threads: int) -> dict:
    cmd = [sys.executable, str(HERE / "harness" / "parity.py"), str(outdir(case, "jwcal", threads)),
           str(outdir(case, "jwst", threads)), *case.product]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def kernels(quick: bool) -> str:
    """The per-kernel scripts' own reports (jwcore against stcal/drizzle), verbatim."""
    load = os.getloadavg()[0]
    text = [
        f"Measured {time.strftime('%Y-%m-%dT%H:%M:%S')} by `python benchmarks/run.py --kernels` "
        f"on {report.machine()['cpu']}, {os.cpu_count()} cores; load average {load:.2f} at "
        "the start.  Each script times jwcore and the official code in fresh processes on the "
        "same simulated full-frame data and prints its own report:"
    ]
    for script in sorted((HERE / "kernels").glob("bench_*.py")):
        argv = [sys.executable, str(script)] + (
            ["--quick"] if quick and "jump" in script.name else []
        )
        proc = subprocess.run(argv, capture_output=True, text=True)
        body = proc.stdout if proc.returncode == 0 else f"failed:\n{proc.stderr[-1500:]}"
        text += [f"\n**{script.name}**\n", "```", body.rstrip(), "```"]
    return "\n".join(text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])  # fmt: skip
    ap.add_argument("--quick", action="store_true", help="small cases, 1 run each")
    ap.add_argument("--threads", type=int, default=1, help="jwcal threads (default 1)")
    ap.add_argument("--cases", nargs="*", help="case names or groups (default: all)")
    ap.add_argument("--repeat", type=int, help="runs of each (default 3; 1 with --quick)")
    ap.add_argument("--no-jwst", action="store_true", help="time jwcal only")
    ap.add_argument("--kernels", action="store_true", help="also the benchmarks/kernels scripts")
    ap.add_argument("--kernels-only", action="store_true",
                    help="only the benchmarks/kernels scripts (with --update-readme: only "
                         "the README's kernel block)")  # fmt: skip
    ap.add_argument("--dry-run", action="store_true", help="list the cases; simulate nothing")
    ap.add_argument("--prepare", action="store_true", help="only simulate and prepare inputs")
    ap.add_argument("--update-readme", action="store_true", help="rewrite README's Performance")
    ap.add_argument("--jwcal-python", metavar="PYTHON",
                    help="run jwcal with this interpreter: an environment with jwcal alone "
                         "(install this tree in it first), as users have it; by default jwcal "
                         "runs here, where jwst's packages also load their asdf extensions "
                         "into jwcal's processes")  # fmt: skip
    args = ap.parse_args(argv)
    JWCAL_PYTHON["path"] = args.jwcal_python
    args.repeat = args.repeat or (1 if args.quick else 3)
    cases = select(C.all_cases(args.quick), args.cases)

    if args.dry_run:
        for c in cases:
            print(f"{c.name:28s} {c.group:24s} jwcal {c.jwcal:10s} jwst {c.jwst or '-':38s} "
                  f"input {c.input:12s} {c.sim.key()}")  # fmt: skip
        return 0

    if args.kernels_only:
        return kernels_only(args)
    with_jwst = not args.no_jwst and measure.jwst_available()
    if args.prepare:
        for c in cases:
            try:
                inputs.input_file(c.sim, c.input, with_jwst)
            except Exception as exc:  # noqa: BLE001 -- prepare the others, report this one
                _log(f"{c.name}: {str(exc)[:2000]}")
        return 0
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    load_start = os.getloadavg()[0]
    _log(f"{len(cases)} cases, {args.repeat} run(s) each, jwst {'on' if with_jwst else 'off'}, "
         f"load average {load_start:.2f}")  # fmt: skip
    state = run_all(cases, args, with_jwst)

    rows, skipped = [], []
    for case in cases:
        if case.name in state["failed"]:
            skipped.append(f"{case.label} ({state['failed'][case.name]})")
            continue
        t = threads_of(case, args.threads)
        kc, kj = keys(case, t)
        jw = report.summarise(state["timings"].get(kj, [])) if with_jwst and case.jwst else None
        row = {"name": case.name, "group": case.group, "label": case.label, "threads": t,
               "input": str(state["files"][case.name][0]), "sim": case.sim.argv("<dir>"),
               "jwcal": report.summarise(state["timings"].get(kc, [])), "jwst": jw,
               "runs": {"jwcal": state["timings"].get(kc, []),
                        "jwst": state["timings"].get(kj, []) if jw else []}}  # fmt: skip
        if jw:
            row["parity"] = parity(case, t)
        rows.append(row)
    if not args.quick and not args.cases and not any(c.jwcal == "image3" for c in cases):
        skipped.append("image3 (this jwcal has no Image3Pipeline yet)")
    result = {
        "started": started, "command": "python benchmarks/run.py " + " ".join(argv or sys.argv[1:]),
        "options": {"quick": args.quick, "repeat": args.repeat, "threads": args.threads,
                    "jwcal_python": args.jwcal_python},
        "machine": report.machine(), "load_start": load_start, "load_end": os.getloadavg()[0],
        "rows": rows, "skipped": skipped,
    }  # fmt: skip
    text = report.markdown(result)
    ktext = kernels(args.quick) if args.kernels else ""
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / started.replace(":", "")
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1))
    stem.with_suffix(".md").write_text(text + ("\n" + ktext if ktext else ""))
    print(text + ("\n" + ktext if ktext else ""))
    _log(f"wrote {stem}.json and .md")
    if args.update_readme:
        report.update_readme(README, text)
        if ktext:
            report.update_readme(README, ktext, report.KSTART, report.KEND)
        _log(f"updated {README}")
    return 0


def kernels_only(args) -> int:
    """``--kernels-only``: the per-kernel scripts, their report and the README's kernel block."""
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    text = kernels(args.quick)
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / ("kernels-" + started.replace(":", ""))
    stem.with_suffix(".md").write_text(text)
    print(text)
    _log(f"wrote {stem}.md")
    if args.update_readme:
        report.update_readme(README, text, report.KSTART, report.KEND)
        _log(f"updated {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
