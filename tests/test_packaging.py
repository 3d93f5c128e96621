"""Every source file is installed: meson lists files explicitly, so a new module must be
added to its directory's meson.build or it is missing from wheels."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _listed(meson: Path) -> set[str]:
    text = meson.read_text()
    return set(re.findall(r"'([^']+\.(?:py|pyi|pyx|tsv|cfg|c|json|yaml))'", text))


def test_every_source_file_is_in_a_meson_build():
    missing = []
    for path in (ROOT / "src").rglob("*"):
        if (
            path.suffix not in (".py", ".pyi", ".pyx", ".tsv", ".cfg")
            or "__pycache__" in path.parts
        ):
            continue
        meson = path.parent / "meson.build"
        if not meson.exists() or path.name not in _listed(meson):
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"not listed in a meson.build: {missing}"


def test_every_subpackage_is_a_meson_subdir():
    for meson in (ROOT / "src").rglob("meson.build"):
        for sub in re.findall(r"subdir\('([^']+)'\)", meson.read_text()):
            assert (meson.parent / sub / "meson.build").exists(), f"{meson}: {sub}"
    for init in (ROOT / "src").rglob("__init__.py"):
        d = init.parent
        parent_meson = d.parent / "meson.build"
        if d.name in ("jwcal", "jwcore"):
            continue
        assert f"subdir('{d.name}')" in parent_meson.read_text(), f"{d} is not built"


def test_test_modules_have_unique_names():
    # pytest's default import mode puts each test directory on sys.path, so two test
    # modules with one basename collide at collection time (a whole-suite error).
    seen: dict[str, str] = {}
    clashes = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.name == "conftest.py" or "__pycache__" in path.parts:
            continue
        rel = str(path.relative_to(ROOT))
        if path.name in seen:
            clashes.append((seen[path.name], rel))
        seen[path.name] = rel
    assert not clashes, f"test modules sharing a name: {clashes}"
