import contextlib
import importlib.util
import io
import pathlib

import pytest

ROOT = pathlib.Path(__file__).parents[2]


@pytest.fixture
def table_generator():
    """Load a script of tools/ that prints a C header: ``load(name)`` gives the module and
    what its ``main()`` prints, to compare with the header in the sources."""

    def load(name):
        spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
        gen = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(gen)
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            gen.main()
        return gen, buf.getvalue()

    return load
