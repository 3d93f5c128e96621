"""The exceptions jwcal raises for problems a user can fix.

Each carries a one-line message naming the problem (and the file, where there is one); the
command line prints it without a traceback and exits non-zero.
"""

from __future__ import annotations

__all__ = [
    "JwcalError",
    "InputError",
    "ValidationError",
    "ReferenceFileError",
    "ConfigError",
    "OutputError",
]


class JwcalError(Exception):
    """Base class: a problem with the input, the configuration or the environment."""

    exit_code = 1


class InputError(JwcalError, ValueError):
    """An input file or array that cannot be used (corrupt, wrong shape or type, ...)."""


class ValidationError(InputError):
    """Metadata or arrays that do not satisfy the schema of a data model."""


class ReferenceFileError(JwcalError):
    """A reference file that is missing, unreadable or does not match the exposure."""


class ConfigError(JwcalError, ValueError):
    """A bad parameter, parameter file or command-line option."""

    exit_code = 2


class OutputError(JwcalError, OSError):
    """An output that cannot be written."""
