"""Typed step parameters: declaration, validation and conversion from text.

A step declares its parameters as ``params = {"name": Param(type, default, doc, ...)}``.
Values arrive as Python objects (keyword arguments, ASDF parameter files) or as text (the
command line, ``.cfg`` files); :meth:`Param.convert` turns either into the declared type or
raises :class:`~jwcal.errors.ConfigError` with a one-line message naming the parameter.
"""

from __future__ import annotations

import ast
import numbers
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

__all__ = ["Param", "UNIVERSAL_PARAMS", "override_param", "parse_bool"]

_TRUE = {"true", "t", "yes", "y", "on", "1"}
_FALSE = {"false", "f", "no", "n", "off", "0"}
_TYPE_NAMES = {bool: "boolean", int: "integer", float: "float", str: "string", list: "list"}


def parse_bool(value) -> bool:
    """Interpret a boolean the way configobj does (``true``/``yes``/``on``/``1``, ...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise ValueError(f"{value!r} is not a boolean (true or false)")


def _parse_list(text: str) -> list:
    text = text.strip()
    if not text:
        return []
    if text[0] in "[(":
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ValueError(f"{text!r} is not a list") from None
        return list(value) if isinstance(value, (list, tuple)) else [value]
    return [p.strip().strip("'\"") for p in text.split(",") if p.strip()]


@dataclass(frozen=True)
class Param:
    """One parameter of a step.

    Parameters
    ----------
    type : type
        ``bool``, ``int``, ``float``, ``str``, ``list`` or ``object`` (any value, kept as is:
        reference-file overrides may be models).
    default : object
        The value when nobody sets it (the jwst 3.0.0 default).
    doc : str
        One line shown by ``--help`` and written next to the value in parameter files.
    min, max : float, optional
        Inclusive bounds for numbers.
    choices : tuple, optional
        The allowed values (strings compare case-insensitively, as in jwst's ``option()``).
    allow_none : bool, optional
        Whether None is a valid value; by default, when the default is None.
    item_type : type, optional
        For lists: the type every element is converted to.
    """

    type: type
    default: Any = None
    doc: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple | None = None
    allow_none: bool | None = None
    item_type: type | None = None

    def __post_init__(self):
        if self.type not in (bool, int, float, str, list, object):
            raise TypeError(
                f"Param type must be bool, int, float, str, list or object: {self.type}"
            )
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        if self.default is not None:
            object.__setattr__(self, "default", self.convert(self.default, "default"))

    @property
    def nullable(self) -> bool:
        return self.default is None if self.allow_none is None else self.allow_none

    @property
    def type_name(self) -> str:
        name = _TYPE_NAMES.get(self.type, "any")
        if self.choices:
            name = "one of " + ", ".join(map(str, self.choices))
        return name

    def convert(self, value, name: str = "parameter"):
        """Return ``value`` as this parameter's type, or raise ConfigError."""
        # "None" in text (command line, .cfg) means None, as in configobj, except for a
        # string parameter that cannot be None.
        is_none_text = isinstance(value, str) and value == "None"
        if value is None or (is_none_text and (self.nullable or self.type is not str)):
            if self.nullable:
                return None
            raise ConfigError(f"{name} cannot be None ({self.type_name} expected)")
        try:
            out = self._convert(value)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{name}: {exc}") from None
        self._check(out, name)
        return out

    def _convert(self, value):
        t = self.type
        if t is object:
            return value
        if t is bool:
            return parse_bool(value)
        if t is int:
            if isinstance(value, bool):
                raise ValueError(f"{value!r} is not an integer")
            if isinstance(value, numbers.Integral):
                return int(value)
            if isinstance(value, numbers.Real) and float(value).is_integer():
                return int(value)
            if isinstance(value, str):
                try:
                    return int(value.strip())
                except ValueError:
                    raise ValueError(f"{value!r} is not an integer") from None
            raise ValueError(f"{value!r} is not an integer")
        if t is float:
            if isinstance(value, bool):
                raise ValueError(f"{value!r} is not a number")
            if isinstance(value, numbers.Real):
                return float(value)
            if isinstance(value, str):
                try:
                    return float(value.strip())
                except ValueError:
                    raise ValueError(f"{value!r} is not a number") from None
            raise ValueError(f"{value!r} is not a number")
        if t is str:
            if isinstance(value, (str, numbers.Real)) and not isinstance(value, bool):
                return str(value)
            if hasattr(value, "__fspath__"):
                return str(value)
            raise ValueError(f"{value!r} is not a string")
        if t is list:
            if isinstance(value, str):
                items = _parse_list(value)
            elif isinstance(value, (list, tuple)):
                items = list(value)
            else:
                raise ValueError(f"{value!r} is not a list")
            if self.item_type is not None:
                item = Param(self.item_type)
                items = [item._convert(v) for v in items]
            return items
        raise TypeError(t)

    def _check(self, value, name: str) -> None:
        if self.choices is not None:
            if isinstance(value, str):
                low = {str(c).lower(): c for c in self.choices}
                if value.lower() not in low:
                    raise ConfigError(
                        f"{name}={value!r} is not one of {', '.join(map(str, self.choices))}"
                    )
            elif value not in self.choices:
                raise ConfigError(f"{name}={value!r} is not one of {self.choices}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.min is not None and not value >= self.min:
                raise ConfigError(f"{name}={value!r} is below its minimum {self.min}")
            if self.max is not None and not value <= self.max:
                raise ConfigError(f"{name}={value!r} is above its maximum {self.max}")

    def describe(self) -> str:
        """The default as the command-line help shows it."""
        return "None" if self.default is None else repr(self.default)


def override_param(reftype: str) -> Param:
    """The ``override_<reftype>`` parameter: a path, ``N/A``, or a reference model."""
    return Param(object, None, f"use this {reftype.upper()} reference file (N/A: none)")


#: Parameters every step has (jwst's universal ones, same names and defaults), besides
#: ``override_<reftype>`` for each of its reference types.
UNIVERSAL_PARAMS: dict[str, Param] = {
    "pre_hooks": Param(list, [], "steps (aliases, classes) or callables run before the step"),
    "post_hooks": Param(list, [], "steps (aliases, classes) or callables run after the step"),
    "output_file": Param(str, None, "file to save the output to (implies save_results)"),
    "output_dir": Param(str, None, "directory for output files (created if needed)"),
    "output_ext": Param(str, ".fits", "extension of output files"),
    "output_use_model": Param(bool, False, "name the output after the model's meta.filename"),
    "output_use_index": Param(bool, True, "append an index to names of multiple outputs"),
    "save_results": Param(bool, False, "save the step's output"),
    "skip": Param(bool, False, "skip this step (inside a pipeline)"),
    "suffix": Param(str, None, "suffix of output files (default: the step's name)"),
    "search_output_file": Param(bool, True, "use the output_file of the parent pipeline"),
    "input_dir": Param(str, None, "directory of input files given without one"),
    "refdir": Param(str, None, "local reference-file directory (default: $JWCAL_REFDIR)"),
}
