"""A small reader and writer for configobj-style ``.cfg`` parameter files.

The subset jwst's ``.cfg`` files use::

    name = "Detector1Pipeline"
    class = "jwst.pipeline.Detector1Pipeline"
    save_calibrated_ramp = False

        [steps]
          [[ipc]]
            skip = True
          [[jump]]
            config_file = jump.cfg

Sections nest by the number of brackets; indentation does not matter; ``#`` starts a
comment outside quotes; a value with an unquoted comma is a list (``a, b`` or ``a,``).
Values stay text: the step's parameter types convert them.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError

__all__ = ["parse_cfg", "read_cfg", "format_cfg"]


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _split_values(text: str, where: str) -> list[str]:
    """Split on commas outside quotes, unquoting each item."""
    items, cur, quote, quoted = [], [], None, False
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            else:
                cur.append(ch)
        elif ch in "'\"":
            quote, quoted = ch, True
        elif ch == ",":
            items.append(("".join(cur).strip(), quoted))
            cur, quoted = [], False
        else:
            cur.append(ch)
    if quote:
        raise ConfigError(f"{where}: unterminated quote")
    items.append(("".join(cur).strip(), quoted))
    return items


def _value(text: str, where: str):
    text = text.strip()
    if text.startswith(('"""', "'''")):
        raise ConfigError(f"{where}: multi-line values are not supported")
    items = _split_values(text, where)
    if len(items) == 1:
        value, quoted = items[0]
        return value
    # "a," is a one-element list; "a, b" a two-element one; empty unquoted items are dropped.
    return [v for v, q in items if v or q]


def parse_cfg(text: str, source: str = "<cfg>") -> dict:
    """Parse the text of a ``.cfg`` file into nested dicts of strings and lists of strings."""
    root: dict = {}
    stack: list[dict] = [root]
    for lineno, raw in enumerate(text.splitlines(), start=1):
        where = f"{source}, line {lineno}"
        line = _strip_comment(raw).strip()
        if not line:
            continue
        if line.startswith("["):
            depth = len(line) - len(line.lstrip("["))
            close = len(line) - len(line.rstrip("]"))
            name = line.strip("[]").strip().strip("'\"")
            if depth != close or not name:
                raise ConfigError(f"{where}: bad section header {raw.strip()!r}")
            if depth > len(stack):
                raise ConfigError(f"{where}: section [{name}] is nested too deeply")
            del stack[depth:]
            parent = stack[-1]
            section = parent.setdefault(name, {})
            if not isinstance(section, dict):
                raise ConfigError(f"{where}: [{name}] is both a value and a section")
            stack.append(section)
            continue
        key, sep, rest = line.partition("=")
        key = key.strip().strip("'\"")
        if not sep or not key:
            raise ConfigError(f"{where}: expected 'name = value', got {raw.strip()!r}")
        current = stack[-1]
        if key in current:
            raise ConfigError(f"{where}: {key} is given twice")
        current[key] = _value(rest, where)
    return root


def read_cfg(path) -> dict:
    """Read a ``.cfg`` file; ConfigError naming the file when it cannot be parsed."""
    p = Path(path)
    try:
        text = p.read_text()
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not a text parameter file") from None
    return parse_cfg(text, str(p))


def _format_value(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = [_format_value(v) for v in value]
        return ", ".join(items) + ("," if len(items) == 1 else "")
    if isinstance(value, str):
        if value == "" or any(c in value for c in ",#'\"") or value != value.strip():
            return '"' + value.replace('"', "'") + '"'
        return value
    return repr(value)


def format_cfg(config: dict) -> str:
    """Write nested dicts (as :func:`parse_cfg` returns them) as ``.cfg`` text."""
    lines: list[str] = []

    def emit(section: dict, depth: int) -> None:
        indent = "    " * depth
        for key, value in section.items():
            if not isinstance(value, dict):
                lines.append(f"{indent}{key} = {_format_value(value)}")
        for key, value in section.items():
            if isinstance(value, dict):
                lines.append(f"{indent}{'[' * (depth + 1)}{key}{']' * (depth + 1)}")
                emit(value, depth + 1)

    emit(config, 0)
    return "\n".join(lines) + "\n"
