"""Running a pipeline or step from the command line, with strun's option spellings.

``python -m jwcal <alias|ClassName|file.cfg|file.asdf> <input> [options]``::

    python -m jwcal detector1 jw..._uncal.fits --steps.jump.rejection_threshold=5
    python -m jwcal calwebb_image2 jw..._rate.fits --output_dir=out --refdir=refs
    python -m jwcal jump jw..._ramp.fits --override_gain=gain.fits --threads 2
    python -m jwcal my_params.asdf jw..._uncal.fits --save-parameters used.asdf

Parameters: ``--<param>=value`` for the pipeline or step, ``--steps.<step>.<param>=value``
for a pipeline's steps.  Precedence: these options > a parameter file (the first argument,
or ``--config-file``) > the settings of a variant (``calwebb_tso1`` = detector1 with its
.cfg) > the defaults.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from ..errors import ConfigError, InputError, JwcalError
from . import logs, registry
from .config import find_config_file, read_parameter_file
from .params import UNIVERSAL_PARAMS
from .progress import set_enabled as _progress_enabled
from .threads import set_threads

__all__ = ["main", "short_help", "build_step", "StepFailed"]

_log = logging.getLogger("jwcal.stpipe")

_FLAGS = {"--verbose", "-v", "--quiet", "-q", "--help", "-h", "--disable-crds-steppars"}
_VALUED = {
    "--save-parameters": "save_parameters",
    "--log-level": "log_level",
    "--log-file": "log_file",
    "--log-stream": "log_stream",
    "--threads": "threads",
    "--config-file": "config_file",
    "--config_file": "config_file",
    "--logcfg": "logcfg",
}


class StepFailed(JwcalError):
    """A step or pipeline stopped on an unexpected error (details with ``--debug``)."""


def short_help() -> str:
    """The lines ``python -m jwcal --help`` shows about running pipelines and steps."""
    shorts = " ".join(
        ["detector1", "image2", "spec2", "image3", "spec3", "coron3", "ami3", "tso3", "dark"]
        + ["guider"]
    )
    return "\n".join(
        [
            "run a pipeline or a step (strun's options):",
            "  python -m jwcal <pipeline|step|file.cfg|file.asdf> <input> [options]",
            f"  pipelines: {shorts}, calwebb_<name>, or any step alias (jump, ramp_fit, ...)",
            "  --<param>=VALUE  --steps.<step>.<param>=VALUE  --override_<reftype>=PATH",
            "  --output_dir=DIR  --save-parameters FILE  --config-file FILE  --refdir DIR",
            "  --threads N  --verbose  --quiet  --log-level LEVEL  --log-file FILE",
            "  python -m jwcal <name> --help   lists a pipeline's or step's parameters",
        ]
    )


def _parse(argv: list[str]):
    """Split argv into the target, the inputs, built-in options and parameter settings."""
    target = None
    inputs: list[str] = []
    opts: dict = {"flags": set()}
    params: dict[str, str] = {}
    i = 0
    while i < len(argv):
        tok = argv[i]
        i += 1
        if tok in _FLAGS:
            opts["flags"].add(tok)
            continue
        if tok.startswith("--"):
            key, eq, value = tok.partition("=")
            if not eq:
                if i >= len(argv) or (argv[i].startswith("--") and len(argv[i]) > 2):
                    raise ConfigError(f"option {key} needs a value ({key}=VALUE)")
                value = argv[i]
                i += 1
            if key in _VALUED:
                opts[_VALUED[key]] = value
            elif key == "--refdir":
                params["refdir"] = value
            else:
                name = key[2:]
                if not name or name.startswith(".") or name.endswith("."):
                    raise ConfigError(f"bad option {tok!r}")
                params[name] = value
            continue
        if tok.startswith("-") and len(tok) > 1 and not _is_number(tok):
            raise ConfigError(f"unknown option {tok!r} (parameters are --name=value)")
        if target is None:
            target = tok
        else:
            inputs.append(tok)
    return target, inputs, opts, params


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _nest(params: dict[str, str]) -> dict:
    """``{"steps.jump.x": v}`` -> ``{"steps": {"jump": {"x": v}}}``."""
    out: dict = {}
    for dotted, value in params.items():
        parts = dotted.split(".")
        cur = out
        for part in parts[:-1]:
            nxt = cur.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise ConfigError(f"--{dotted}: {part} is a parameter, not a step")
            cur = nxt
        if isinstance(cur.get(parts[-1]), dict):
            raise ConfigError(f"--{dotted}: {parts[-1]} is a step, not a parameter")
        cur[parts[-1]] = value
    return out


def resolve_target(target: str):
    """(class, variant .cfg or None, parameter file or None) for the first argument."""
    p = Path(os.path.expanduser(target))
    looks_like_file = p.suffix.lower() in (".cfg", ".asdf") or p.is_file()
    if looks_like_file:
        path = find_config_file(p)
        raw = read_parameter_file(path)
        cls_name = raw.get("class")
        if not cls_name:
            raise ConfigError(f"{path}: names no class (class = ...)")
        cls, _ = registry.resolve_class(str(cls_name))
        return cls, None, path
    entry = registry.lookup(target)
    if entry is not None:
        cls = registry.load_class(entry)
        variant = None
        if entry.config and "." not in target:
            from .config import shipped_config

            variant = shipped_config(entry.config)
        return cls, variant, None
    cls, _ = registry.resolve_class(target)
    return cls, None, None


def build_step(target, config_file=None, **params):
    """An instance of the pipeline or step ``target`` names, configured as the CLI would."""
    cls, variant, file_from_target = resolve_target(str(target))
    user_file = config_file or file_from_target
    config, name = cls.build_config(config_file=user_file, defaults_file=variant, **params)
    if name is None and variant is not None:
        name = read_parameter_file(variant).get("name")
    return cls.from_config(config, name=name, config_file=str(user_file or variant or "") or None)


def _step_help(cls, target: str) -> str:
    from .pipeline import Pipeline

    doc = (cls.__doc__ or "").strip().splitlines()
    lines = [
        f"usage: python -m jwcal {target} <input> [options]",
        "",
        f"{cls.__name__}"
        + (f" ({cls.class_alias})" if cls.class_alias else "")
        + (f": {doc[0]}" if doc else ""),
        "",
        "parameters:",
    ]

    def emit(klass, prefix):
        specs = klass.param_specs()
        # the step's own, and common ones whose default it changes (emicorr skips)
        for name in [k for k in specs if specs[k] != UNIVERSAL_PARAMS.get(k)]:
            spec = specs[name]
            opt = f"--{prefix}{name}"
            lines.append(f"  {opt:<44} {spec.doc} [{spec.describe()}]".rstrip())

    emit(cls, "")
    lines += ["", "common to every step and pipeline:"]
    specs = cls.param_specs()
    for name in UNIVERSAL_PARAMS:
        spec = specs[name]
        lines.append(f"  {'--' + name:<44} {spec.doc} [{spec.describe()}]".rstrip())
    if isinstance(cls, type) and issubclass(cls, Pipeline):
        for sname, scls in cls.step_defs.items():
            lines += ["", f"steps.{sname} ({scls.__name__}; also the common ones):"]
            emit(scls, f"steps.{sname}.")
    lines += ["", short_help()]
    return "\n".join(lines)


def _check_inputs(inputs: list[str]) -> None:
    for name in inputs:
        if not Path(name).exists():
            raise InputError(f"{name}: no such file")


def main(argv: list[str]) -> int:
    """Run ``python -m jwcal <target> <input> [options]``; returns the exit status."""
    target, inputs, opts, params = _parse(list(argv))
    flags = opts["flags"]
    if target is None:
        print(short_help())
        return 0 if flags & {"--help", "-h"} else 2
    if flags & {"--help", "-h"}:
        cls, _, _ = resolve_target(target)
        print(_step_help(cls, target))
        return 0
    level = "INFO"
    if "--verbose" in flags or "-v" in flags:
        level = "DEBUG"
    elif "--quiet" in flags or "-q" in flags:
        level = "WARNING"
        _progress_enabled(False)
    if opts.get("log_level") and level == "INFO":
        level = opts["log_level"]
    logs.configure(level, opts.get("log_file"), opts.get("log_stream", "stdout"))
    if "threads" in opts:
        set_threads(opts["threads"])
    step = build_step(target, config_file=opts.get("config_file"), **_nest(params))
    if opts.get("save_parameters"):
        path = step.export_config(opts["save_parameters"])
        _log.info("parameters saved to %s", path)
    if not inputs:
        if opts.get("save_parameters"):
            return 0
        raise InputError(f"no input file given (python -m jwcal {target} <input> ...)")
    _check_inputs(inputs)
    step.save_results = True
    try:
        step.run(*inputs)
    except JwcalError:
        raise
    except (MemoryError, KeyboardInterrupt, OSError):
        raise
    except Exception as exc:
        where = inputs[0] if len(inputs) == 1 else f"{len(inputs)} inputs"
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise StepFailed(
            f"{step.name} failed on {where}: {type(exc).__name__}"
            + (f": {msg}" if msg else "")
            + " (--debug shows where)"
        ) from exc
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
