"""Associations (``asn.json``): which exposures make which products.

The layouts are jwst's: level 2 (one product per exposure, for calwebb_image2/spec2) and
level 3 (products combining exposures, for the stage-3 pipelines)::

    {"asn_type": ..., "asn_rule": ..., "version_id": ..., "code_version": ...,
     "degraded_status": ..., "program": ..., "constraints": ..., "asn_id": ...,
     "target": ..., "asn_pool": ...,
     "products": [{"name": ..., "members": [{"expname": ..., "exptype": ...}, ...]}]}

Validation follows jwst's association schemas and adds what the pipelines rely on: at
least one product, each with members, each member an ``expname`` and a known ``exptype``.
Errors name the file and the field (``products[0].members[1].exptype``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import InputError

__all__ = [
    "Association",
    "AssociationError",
    "MEMBER_TYPES",
    "load_asn",
    "validate",
]

#: Member types the pipelines use (``exptype``), lower case.
MEMBER_TYPES = (
    "science",
    "background",
    "imprint",
    "selfcal",
    "sourcecat",
    "segmap",
    "direct_image",
    "target_acquisition",
    "psf",
)

# Key order of the files jwst writes.
_ORDER = (
    "asn_type",
    "asn_rule",
    "version_id",
    "code_version",
    "degraded_status",
    "program",
    "constraints",
    "asn_id",
    "target",
    "asn_pool",
    "products",
)
_STRING_FIELDS = (
    "asn_type",
    "asn_rule",
    "asn_id",
    "asn_pool",
    "program",
    "target",
    "constraints",
    "code_version",
    "degraded_status",
)


class AssociationError(InputError):
    """An association file that cannot be used: one line naming the file and the field."""


def _fail(source, field, problem) -> AssociationError:
    where = f"{source}: " if source else ""
    return AssociationError(f"{where}{field} {problem}")


def validate(data, source: str = "") -> None:
    """Raise AssociationError naming the first bad field of an association's content."""
    if not isinstance(data, dict):
        raise AssociationError(f"{source + ': ' if source else ''}an association is a JSON object")
    for key in _STRING_FIELDS:
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise _fail(source, key, f"must be a string, not {type(data[key]).__name__}")
    if "version_id" in data and data["version_id"] is not None:
        if not isinstance(data["version_id"], str):
            raise _fail(source, "version_id", "must be a string or null")
    if "products" not in data:
        raise _fail(source, "products", "is missing")
    products = data["products"]
    if not isinstance(products, list):
        raise _fail(source, "products", "must be a list")
    if not products:
        raise _fail(source, "products", "is empty")
    for i, prod in enumerate(products):
        where = f"products[{i}]"
        if not isinstance(prod, dict):
            raise _fail(source, where, "must be an object")
        if "name" in prod and not isinstance(prod["name"], str):
            raise _fail(source, f"{where}.name", "must be a string")
        if "members" not in prod:
            raise _fail(source, f"{where}.members", "is missing")
        members = prod["members"]
        if not isinstance(members, list):
            raise _fail(source, f"{where}.members", "must be a list")
        if not members:
            raise _fail(source, f"{where}.members", "is empty")
        for j, mem in enumerate(members):
            mwhere = f"{where}.members[{j}]"
            if not isinstance(mem, dict):
                raise _fail(source, mwhere, "must be an object")
            for key in ("expname", "exptype"):
                if key not in mem:
                    raise _fail(source, f"{mwhere}.{key}", "is missing")
                if not isinstance(mem[key], str) or not mem[key].strip():
                    raise _fail(source, f"{mwhere}.{key}", "must be a non-empty string")
            if mem["exptype"].lower() not in MEMBER_TYPES:
                raise _fail(
                    source,
                    f"{mwhere}.exptype",
                    f"{mem['exptype']!r} is not one of {', '.join(MEMBER_TYPES)}",
                )


class Association:
    """An association: its metadata and products, as read from or written to ``asn.json``.

    Parameters
    ----------
    data : dict
        The content (validated).
    path : str or Path, optional
        The file it came from; member names are relative to its directory.
    """

    def __init__(self, data: dict, path=None):
        self.path = Path(path) if path is not None else None
        validate(data, str(self.path) if self.path else "")
        self.data = data

    # dict-like access, as jwst's Association objects allow
    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        self.data[key] = value

    def __contains__(self, key):
        return key in self.data

    def get(self, key, default=None):
        return self.data.get(key, default)

    @property
    def products(self) -> list[dict]:
        return self.data["products"]

    @property
    def asn_id(self) -> str | None:
        return self.data.get("asn_id")

    @property
    def table_name(self) -> str | None:
        """The file name (the ``ASNTABLE`` products record)."""
        return self.path.name if self.path else None

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path()

    @property
    def level(self) -> int:
        """3 for a stage-3 association (combining exposures), else 2."""
        rule = str(self.data.get("asn_rule", "")).lower()
        if "level3" in rule or "lv3" in rule or "target" in self.data:
            return 3
        if "level2" in rule or "lv2" in rule:
            return 2
        multi = any(
            sum(m["exptype"].lower() == "science" for m in p["members"]) > 1 for p in self.products
        )
        return 3 if multi else 2

    def members(self, exptype: str | None = None, product: int | None = None) -> list[dict]:
        """Members (of one product, or all), optionally of one ``exptype``."""
        prods = self.products if product is None else [self.products[product]]
        out = []
        for p in prods:
            for m in p["members"]:
                if exptype is None or m["exptype"].lower() == exptype.lower():
                    out.append(m)
        return out

    def member_path(self, member: dict) -> Path:
        """Where a member's file is: relative names are relative to the association file."""
        p = Path(os.path.expanduser(member["expname"]))
        return p if p.is_absolute() else self.base_dir / p

    def to_dict(self) -> dict:
        """The content with keys in the order jwst writes them."""
        out = {k: self.data[k] for k in _ORDER if k in self.data}
        out.update({k: v for k, v in self.data.items() if k not in out})
        return out

    def dumps(self) -> str:
        """The JSON text, formatted as jwst formats it."""
        return json.dumps(self.to_dict(), indent=4, separators=(",", ": "))

    def save(self, path) -> Path:
        """Write the association (through a temporary name, then a rename)."""
        p = Path(path)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(self.dumps())
            os.replace(tmp, p)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            from ..errors import OutputError

            raise OutputError(f"cannot write {p}: {exc.strerror or exc}") from None
        self.path = p
        return p

    def __repr__(self) -> str:
        n = sum(len(p["members"]) for p in self.products)
        nprod = len(self.products)
        return f"<Association {self.asn_id} level {self.level}: {nprod} products, {n} members>"


def load_asn(path) -> Association:
    """Read and validate an association file.

    Raises
    ------
    AssociationError
        One line naming the file and what is wrong (unreadable, not JSON, a bad field).
    """
    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise AssociationError(f"{p}: no such association file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AssociationError(f"{p}: cannot read it ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AssociationError(
            f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    return Association(data, p)
