"""The ``jwcal`` command line: ``python -m jwcal <command> ...``.

Built-in commands are registered in :data:`COMMANDS`; anything else names a pipeline or a
step (by alias, class name or parameter file) and is handed to :mod:`jwcal.stpipe.cli`.
Problems a user can fix are reported on one line with a non-zero exit status; ``--debug``
shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from ._version import __version__

#: command -> (module with ``add_arguments(parser)`` and ``run(args)``, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "info": ("jwcal.info", "summarise a product: model, instrument, mode, shapes, steps, DQ"),
    "simulate": ("jwcal.simulate.cli", "write a simulated raw exposure, its references and truth"),
    "demo": ("jwcal.demo", "simulate a small dithered NIRCam observation and calibrate it"),
    "list": ("jwcal.stpipe.listing", "list the pipelines and steps, and which jwcal has"),
    "auto": ("jwcal.stpipe.auto", "run the pipelines an exposure's EXP_TYPE calls for"),
    "asn-from-list": ("jwcal.associations.from_list", "make an association from files"),
}


def _usage() -> str:
    lines = [
        "usage: python -m jwcal <command> [options]",
        "       python -m jwcal <pipeline|step|file.cfg|file.asdf> <input> [options]",
        "",
        "jwcal: calibrate JWST exposures (a fast re-implementation of the JWST pipeline).",
        "",
        "commands:",
    ]
    width = max(len(c) for c in COMMANDS)
    for name, (_, help_) in COMMANDS.items():
        lines.append(f"  {name:<{width}}  {help_}")
    extra = _runner_help()
    if extra:
        lines += ["", extra]
    lines += [
        "",
        "options:",
        "  -h, --help     show this message (or a command's, after its name)",
        "  --version      print the version",
        "  --debug        show tracebacks",
    ]
    return "\n".join(lines)


def _runner_help() -> str:
    try:
        mod = import_module("jwcal.stpipe.cli")
    except ImportError:
        return ""
    return mod.short_help()


def _fail(message: str, code: int) -> int:
    print(f"jwcal: error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug:
        argv.remove("--debug")
    if not argv or argv[0] in ("-h", "--help", "help"):
        try:
            print(_usage())
        except BrokenPipeError:
            pass
        return 0
    if argv[0] == "--version":
        print(f"jwcal {__version__}")
        return 0
    from .errors import JwcalError

    try:
        if argv[0] in COMMANDS:
            modname, help_ = COMMANDS[argv[0]]
            mod = import_module(modname)
            parser = argparse.ArgumentParser(prog=f"python -m jwcal {argv[0]}", description=help_)
            mod.add_arguments(parser)
            args = parser.parse_args(argv[1:])
            return int(mod.run(args) or 0)
        try:
            runner = import_module("jwcal.stpipe.cli")
        except ImportError:
            return _fail(f"unknown command {argv[0]!r} (see python -m jwcal --help)", 2)
        return int(runner.main(argv) or 0)
    except JwcalError as exc:
        if debug:
            raise
        return _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        # The reader went away (``| head``): not an error of ours.
        sys.stderr.close()
        return 0
    except MemoryError:
        if debug:
            raise
        return _fail("out of memory", 1)
    except ModuleNotFoundError as exc:
        # a dependency missing from this environment (an optional one of a library we use)
        if debug:
            raise
        return _fail(f"the Python package {exc.name!r} is needed here: pip install it", 1)
    except OSError as exc:
        if debug:
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        return _fail(f"{where}{exc.strerror or exc}", 1)
