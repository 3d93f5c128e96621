"""jwcore works on arrays alone: it never imports jwcal, astropy or data models."""

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
FORBIDDEN = {"jwcal", "astropy", "asdf", "gwcs", "stdatamodels", "jwst", "stcal"}


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def test_jwcore_imports_nothing_from_the_upper_layers():
    files = list((SRC / "jwcore").rglob("*.py")) + list((SRC / "jwcore").rglob("*.pyx"))
    assert files
    for f in files:
        if f.suffix == ".pyx":
            text = f.read_text()
            for bad in FORBIDDEN:
                assert f"import {bad}" not in text, f"{f} imports {bad}"
            continue
        bad = set(_imports(f)) & FORBIDDEN
        assert not bad, f"{f.relative_to(SRC)} imports {sorted(bad)}"


def test_imports_are_fast_and_light():
    code = (
        "import sys, time; t = time.perf_counter(); import jwcal, jwcore; "
        "dt = time.perf_counter() - t; "
        "heavy = [m for m in ('astropy', 'scipy', 'asdf', 'gwcs') if m in sys.modules]; "
        "print(dt, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    dt, heavy = out.stdout.split(" ", 1)
    assert float(dt) < 0.5
    assert heavy.strip() == "[]"
