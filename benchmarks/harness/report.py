"""The benchmark's products: JSON, a markdown report, and the README's Performance section."""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import re
from pathlib import Path

START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
#: the per-kernel reports (``run.py --kernels``) have a block of their own
KSTART, KEND = "<!-- kernels:start -->", "<!-- kernels:end -->"
PACKAGES = ("jwcal", "jwst", "stcal", "stdatamodels", "numpy", "astropy")


def machine() -> dict:
    """CPU, cores, memory, Python and package versions of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))  # fmt: skip
        ram = f"{mem_kb / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        ram = "unknown"
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            versions[pkg] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "ram": ram, "os": platform.platform(),
            "python": platform.python_version(), "versions": versions}  # fmt: skip


def _med(values):
    values = sorted(values)
    n = len(values)
    return (values[n // 2] + values[(n - 1) // 2]) / 2 if n else None


def summarise(runs: list[dict]) -> dict | None:
    """Median wall and CPU, largest peak RSS, and the number of runs."""
    if not runs:
        return None
    return {"wall": _med([r["wall"] for r in runs]), "cpu": _med([r["cpu"] for r in runs]),
            "rss_mb": max(r["rss_mb"] for r in runs), "n": len(runs)}  # fmt: skip


def _ratio(a, b, key):
    return f"{a[key] / b[key]:.1f}x" if a and b and b[key] else "-"


def _mem(x):
    if x is None:
        return "-"
    return f"{x['rss_mb'] / 1024:.2f} GB" if x["rss_mb"] >= 1024 else f"{x['rss_mb']:.0f} MB"


def _parity(p: dict | None) -> tuple[str, str]:
    if not p:
        return "-", "-"
    if "error" in p:
        return "n/a", "n/a"
    rel = "-"
    if "sci_rel_median" in p:
        rel = f"{p['sci_rel_median']:.1e} / {p['sci_rel_p999']:.1e}"
    dq = f"{100 * p['dq_identical']:.3f}%" if "dq_identical" in p else "-"
    return rel, dq


def table(rows: list[dict], group: str, repeat: int) -> list[str]:
    out = [
        "| case | jwst wall | jwcal wall | ratio | jwst CPU | jwcal CPU | ratio | jwst peak RSS "
        "| jwcal peak RSS | ratio | SCI rel. diff (median / 99.9%) | DQ identical |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        if r["group"] != group:
            continue
        j, c = r["jwst"], r["jwcal"]
        rel, dq = _parity(r.get("parity"))
        f = lambda x, k: f"{x[k]:.1f} s" if x else "-"  # noqa: E731
        label = r["label"] + (f" [{c['n']} run]" if c and c["n"] == 1 and repeat > 1 else "")
        out.append(f"| {label} | {f(j, 'wall')} | {f(c, 'wall')} | {_ratio(j, c, 'wall')} "
                   f"| {f(j, 'cpu')} | {f(c, 'cpu')} | {_ratio(j, c, 'cpu')} | {_mem(j)} "
                   f"| {_mem(c)} | {_ratio(j, c, 'rss_mb')} | {rel} | {dq} |")  # fmt: skip
    return out


def markdown(result: dict) -> str:
    m, opts = result["machine"], result["options"]
    v = m["versions"]
    lines = [
        f"Measured {result['started']} with `{result['command']}` on {m['cpu']}, {m['cores']} "
        f"cores, {m['ram']} RAM ({m['os']}); Python {m['python']}, jwcal {v['jwcal']}, "
        f"jwst {v['jwst']}, stcal {v['stcal']}, numpy {v['numpy']}. Load average "
        f"{result['load_start']:.2f} at the start, {result['load_end']:.2f} at the end.",
        "",
        f"Each case: jwcal and jwst alternately, each in a fresh process, {opts['repeat']} "
        f"time(s); median wall and CPU (user + system) time of the process, largest peak "
        f"resident set (the whole process, imports and I/O included); ratios are jwst / jwcal. "
        "Cases marked [1 run] ran once (minutes each). "
        f"jwcal runs with {opts['threads']} thread(s) unless the case says otherwise; jwst is "
        "single-threaded. Parity: `|jwcal - jwst| / |jwst|` of SCI on pixels both call good; DQ "
        "(GROUPDQ for ramps) identical. Inputs: simulated NIRCam NRCA1 (BRIGHT2) unless "
        "stated; step cases start from the product jwst's pipeline saved before that step.",
    ]
    if opts.get("jwcal_python"):
        lines[-1] += (
            " jwcal ran in an environment of its own (this repository pip-installed, without "
            "jwst: what a user installs), jwst in the one it is installed in."
        )
    groups = []
    for r in result["rows"]:
        if r["group"] not in groups:
            groups.append(r["group"])
    for g in groups:
        lines += ["", f"**{g}**", "", *table(result["rows"], g, opts["repeat"])]
    if result.get("skipped"):
        lines += ["", "Not run: " + "; ".join(result["skipped"]) + "."]
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, text: str, start: str = START, end: str = END) -> None:
    """Replace what lies between the ``start`` and ``end`` markers of the README by ``text``."""
    src = readme.read_text()
    if start not in src or end not in src:
        raise SystemExit(f"{readme}: no {start} ... {end} markers")
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    readme.write_text(pattern.sub(lambda _: f"{start}\n{text.rstrip()}\n{end}", src, count=1))
