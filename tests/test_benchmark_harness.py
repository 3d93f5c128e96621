"""The benchmark harness (benchmarks/run.py) works: case list, parity statistics, README
update.  Nothing here times anything: speed is measured by the benchmarks only."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from harness import cases, parity, report  # noqa: E402


def test_quick_dry_run_lists_the_cases():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--dry-run"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert names == [c.name for c in cases.all_cases(quick=True)]
    assert "detector1-sub" in names and "step-jump" in names


def test_sim_keys_differ_by_every_parameter():
    base = cases.Sim()
    variants = [cases.Sim(ngroups=5), cases.Sim(nints=2), cases.Sim(seed=2),
                cases.Sim(subarray="SUB320"), cases.Sim(extra=("--tso",))]  # fmt: skip
    keys = {base.key(), *(v.key() for v in variants)}
    assert len(keys) == 1 + len(variants)


def _write(path, sci, dq):
    from astropy.io import fits

    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(sci, name="SCI"),
                  fits.ImageHDU(dq, name="DQ")]).writeto(path)  # fmt: skip


def test_parity_statistics(tmp_path):
    ours, theirs = tmp_path / "jwcal", tmp_path / "jwst"
    ours.mkdir(), theirs.mkdir()
    b = np.full((10, 10), 2.0, np.float32)
    a = b.copy()
    a[0, :5] = 2.2  # 10% off on 5 pixels
    a[9, 9] = 1e6  # excluded: DO_NOT_USE in jwcal's DQ
    dqa, dqb = np.zeros((10, 10), np.uint32), np.zeros((10, 10), np.uint32)
    dqa[9, 9] = 1
    _write(ours / "x_rate.fits", a, dqa)
    _write(theirs / "x_rate.fits", b, dqb)
    r = parity.main([str(ours), str(theirs), "cal", "rate"])
    assert r["file"] == "x_rate.fits"
    assert r["good_fraction"] == pytest.approx(0.99)
    assert r["sci_rel_median"] == 0.0
    assert r["sci_rel_p999"] == pytest.approx(0.1, rel=1e-5)
    assert r["dq_identical"] == pytest.approx(0.99)
    assert "error" in parity.main([str(ours), str(theirs), "i2d"])


def test_markdown_and_readme_update(tmp_path):
    row = {"group": "pipeline", "label": "case A", "jwcal": {"wall": 2.0, "cpu": 1.0,
           "rss_mb": 100.0, "n": 1}, "jwst": {"wall": 8.0, "cpu": 5.0, "rss_mb": 2048.0, "n": 1},
           "parity": {"sci_rel_median": 0.0, "sci_rel_p999": 1e-6, "dq_identical": 1.0}}  # fmt: skip
    result = {"machine": report.machine(), "options": {"repeat": 1, "threads": 1},
              "started": "now", "command": "python benchmarks/run.py", "load_start": 1.0,
              "load_end": 1.5, "rows": [row], "skipped": []}  # fmt: skip
    text = report.markdown(result)
    assert (
        "| case A | 8.0 s | 2.0 s | 4.0x | 5.0 s | 1.0 s | 5.0x | 2.00 GB | 100 MB | 20.5x" in text
    )
    assert "environment of its own" not in text
    result["options"]["jwcal_python"] = "/opt/solo/bin/python"
    assert "jwcal ran in an environment of its own" in report.markdown(result)
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n## Performance\n{report.START}\nold\n{report.END}\n## Next\n")
    report.update_readme(readme, text)
    new = readme.read_text()
    assert "old" not in new and "| case A |" in new and new.endswith(f"{report.END}\n## Next\n")
    # the kernel reports have their own block, which the pipeline table leaves alone
    readme.write_text(
        f"{report.START}\nold\n{report.END}\nmid\n{report.KSTART}\nkold\n{report.KEND}\n"
    )
    report.update_readme(readme, "kernels", report.KSTART, report.KEND)
    report.update_readme(readme, text)
    new = readme.read_text()
    assert "old" not in new and "kold" not in new and "mid" in new
    assert new.index("| case A |") < new.index("mid") < new.index("kernels")


def test_image3_case_is_the_issue_s(tmp_path):
    from harness import inputs

    sim = cases.IMAGE3_SIM
    argv = sim.argv("<dir>")
    assert argv[argv.index("--dithers") + 1] == "8" and "--stage3" in argv
    assert sim.subarray == "FULL"
    # a prepared association is found under the cache (nothing simulated again); one whose
    # members image2 did not write is refused
    d = tmp_path / sim.key()
    (d / "sim" / "refs").mkdir(parents=True)
    (d / "sim" / "done.json").write_text("{}")
    prep = d / "prep_jwcal"
    prep.mkdir()
    asn = {"products": [{"name": "p", "members": [{"expname": "a_cal.fits"}]}]}
    (d / "sim" / "image3_asn.json").write_text(json.dumps(asn))
    with pytest.raises(RuntimeError, match="a_cal.fits"):
        inputs._check_members(d / "sim" / "image3_asn.json", prep)
    (prep / "a_cal.fits").write_text("")
    inputs._check_members(d / "sim" / "image3_asn.json", prep)
    (prep / "image3_asn.json").write_text(json.dumps(asn))
    found, refdir = inputs.input_file(sim, cases.ASN, False, cache=tmp_path)
    assert found == prep / "image3_asn.json" and refdir == d / "sim" / "refs"


def test_ramp_kernel_benchmark_takes_turns():
    # a tiny frame, one round: the five processes start, answer their turns and report
    # (jwcore with 1 and 2 threads, new products and over the ramps, restored each run)
    pytest.importorskip("stcal")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "kernels" / "bench_ramp.py"), "--size", "32",
         "--repeat", "1", "--cases", "10x1", "--algorithms", "ols"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip().startswith("ols")]
    assert [ln.split()[1] for ln in lines] == ["stcal"] + ["jwcore"] * 4 + ["1t"]
    assert all("rounds x" in ln for ln in lines[1:5])
    assert [ln.endswith("over the ramps)") for ln in lines[1:5]] == [False, False, True, True]
    # the products compared after the rounds: DQ identical, floats within rounding
    agree = lines[5]
    assert "DQ 100.0000%" in agree, agree
    assert float(agree.rsplit("max rel. diff ", 1)[1]) < 1e-5, agree


def test_turns_keep_each_workers_runs_of_a_round_together(monkeypatch):
    # a worker's runs of a round follow each other: its second finds its threads and caches
    # as the first left them; the official code's run is followed by a pause, for the guest
    # to hand back the memory it freed before anything else is timed
    sys.path.insert(0, str(ROOT / "benchmarks" / "kernels"))
    import turns
    from turns import take_turns

    order = []
    monkeypatch.setattr(turns.time, "sleep", lambda s: order.append(f"pause {s}"))

    class Stub:
        def __init__(self, name):
            self.name = name

        def run(self):
            order.append(self.name)

    take_turns(Stub("ref"), [Stub("a"), Stub("b")], rounds=2, each=2, settle=2.5)
    assert order == ["ref", "pause 2.5", "a", "a", "b", "b"] * 2


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="Linux /proc")
def test_turns_measure_a_runs_memory_and_keep_the_peak():
    # serve touches as much memory as a run takes before each timed run: the footprint is
    # the run's own peak over what was resident; the process's peak survives the reset.
    # In a fresh process, as a benchmark worker (the test process's own resident set moves
    # with what other tests left behind).
    code = """
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
import turns
hold = np.ones(96 << 20, np.uint8)  # resident during the run: not counted
before = turns.peak_rss_mb()
need = turns.run_footprint(lambda: np.ones(64 << 20, np.uint8).sum())
turns.warm(need)
print(need, before, turns.peak_rss_mb())
"""
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "benchmarks" / "kernels")],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split()  # fmt: skip
    need, before, after = int(out[0]), float(out[1]), float(out[2])
    assert 60 << 20 <= need <= 80 << 20, need / 2**20
    assert before >= 96 and after >= before


def test_turns_worker_reports_a_dead_process():
    sys.path.insert(0, str(ROOT / "benchmarks" / "kernels"))
    from turns import Worker

    with pytest.raises(RuntimeError, match="(?s)stcal failed:.*no stcal here"):
        Worker([sys.executable, "-c", "import sys; sys.exit('no stcal here')"], "stcal")
