"""What a data model holds: the metadata keywords, and the arrays and tables of each model.

The keyword table (``keywords.tsv``) maps each metadata path (``meta.exposure.ngroups``) to
its FITS keyword (``NGROUPS``), the HDU that carries it and its type; these are the JWST
names, so that files interchange with the other JWST tools.  Each model class declares its
arrays (extension name, dtype, dimensionality, how to make a default) and its tables.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from ..errors import ValidationError

__all__ = [
    "Keyword",
    "ArraySpec",
    "TableSpec",
    "keywords",
    "keyword_for",
    "check_value",
    "META_NODES",
]


@dataclass(frozen=True)
class Keyword:
    """One metadata item stored as a FITS keyword."""

    path: str  #: dotted path below the model, e.g. ``meta.exposure.ngroups``
    keyword: str  #: FITS keyword, e.g. ``NGROUPS``
    hdu: str  #: EXTNAME of the HDU holding it (``PRIMARY``, ``SCI``, ...)
    type: str  #: ``string``, ``integer``, ``number``, ``boolean`` or ``any``


@dataclass(frozen=True)
class ArraySpec:
    """An array of a model, stored as an image extension."""

    extname: str
    dtype: str
    ndim: tuple[int, ...]  #: allowed dimensionalities
    default: float | int | None = 0  #: fill value of a default array; None: no default
    #: shape of the default array from the primary array's shape: "same", "image" (last two
    #: axes), "ints" (nints, ny, nx from a 4-D primary) or None (no default)
    like: str | None = "same"


@dataclass(frozen=True)
class TableSpec:
    """A table of a model, stored as a binary-table extension."""

    extname: str
    columns: tuple[tuple[str, str], ...]  #: (name, numpy dtype string)

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(list(self.columns))


@functools.cache
def keywords() -> tuple[Keyword, ...]:
    """All keyword mappings, in the order of the keyword table."""
    text = resources.files(__package__).joinpath("keywords.tsv").read_text()
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        path, kw, hdu, typ = line.split("\t")
        out.append(Keyword(path, kw, hdu, typ))
    return tuple(out)


@functools.cache
def _by_path() -> dict[str, Keyword]:
    return {k.path: k for k in keywords()}


def keyword_for(path: str) -> Keyword | None:
    """The keyword mapping of a metadata path, or None when it is not a FITS keyword."""
    return _by_path().get(path)


@functools.cache
def _meta_nodes() -> frozenset[str]:
    nodes = set()
    for k in keywords():
        parts = k.path.split(".")
        for i in range(1, len(parts)):
            nodes.add(".".join(parts[:i]))
    nodes.update(EXTRA_NODES)
    return frozenset(nodes)


#: Metadata objects that hold no FITS keyword but that steps read and write (they live in
#: the ASDF extension): the WCS, per-step logs, association info and the like.
EXTRA_NODES = (
    "meta",
    "meta.asn",
    "meta.background",
    "meta.cal_step",
    "meta.ref_file",
    "meta.resample",
    "meta.wcsinfo",
    "meta.photometry",
    "meta.exposure",
    "meta.instrument",
    "meta.subarray",
)

#: Metadata leaves with no FITS keyword that read as None when unset.
EXTRA_LEAVES = ("meta.wcs", "meta.cal_logs", "meta.filename")


def is_node(path: str) -> bool:
    """True when ``path`` names a metadata object (a dict) in the schema."""
    return path in _meta_nodes()


def is_leaf(path: str) -> bool:
    """True when ``path`` names a metadata value the schema knows."""
    return path in _by_path() or path in EXTRA_LEAVES


META_NODES = _meta_nodes

_INT_TYPES = (int, np.integer)
_NUM_TYPES = (int, float, np.integer, np.floating)


def check_value(path: str, value, typ: str | None = None) -> None:
    """Raise ValidationError when ``value`` does not have the type the schema gives ``path``."""
    if value is None:
        return
    if typ is None:
        kw = keyword_for(path)
        if kw is None:
            return
        typ = kw.type
    ok = True
    if typ == "string":
        ok = isinstance(value, str)
    elif typ == "integer":
        ok = isinstance(value, _INT_TYPES) and not isinstance(value, (bool, np.bool_))
    elif typ == "number":
        ok = isinstance(value, _NUM_TYPES) and not isinstance(value, (bool, np.bool_))
    elif typ == "boolean":
        ok = isinstance(value, (bool, np.bool_))
    if not ok:
        raise ValidationError(f"{path} must be of type {typ}, got {type(value).__name__} {value!r}")


def coerce_value(value):
    """Turn numpy scalars into the Python values a header and the ASDF tree take."""
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass
class ModelSchema:
    """The arrays and tables of one model class and its keyword HDU overrides."""

    arrays: dict[str, ArraySpec] = field(default_factory=dict)
    tables: dict[str, TableSpec] = field(default_factory=dict)
    primary: str = "data"  #: the array whose shape defines the model's shape
    keyword_hdu: dict[str, str] = field(default_factory=dict)  #: path -> HDU overrides

    def hdu_of(self, kw: Keyword) -> str:
        return self.keyword_hdu.get(kw.path, kw.hdu)
