"""The ASDF block inside a FITS file, read and written without asdf when that is possible.

Stage-1 metadata is plain YAML (dicts, lists, strings and numbers), and loading asdf with every
installed extension costs seconds per process.  Plain trees are therefore written and read with
PyYAML directly, in the ASDF file layout; a tree with tagged objects (a gwcs WCS, say) is written
by asdf, and on reading each tagged object is kept as a :class:`Deferred` value that asdf
decodes the first time it is used.  A WCS that numpy can evaluate (see
:mod:`jwcal.transforms`) is also available without asdf (``Deferred.light``), and a tree
holding such WCSs as :class:`~jwcal.transforms.tree.Tagged` nodes is written with PyYAML.
"""

from __future__ import annotations

import hashlib
import io
import warnings

import numpy as np
import yaml

from ..transforms import tree as _tree
from ..transforms.tree import Tagged as _Tagged

__all__ = ["Deferred", "encode", "decode", "is_plain", "read_tree"]

_HEADER = (
    "#ASDF 1.0.0\n#ASDF_STANDARD 1.6.0\n%YAML 1.1\n%TAG ! tag:stsci.edu:asdf/\n"
    "--- !core/asdf-1.1.0\n"
)
_BLOCK_MAGIC = b"\xd3BLK"

try:
    _BaseLoader = yaml.CSafeLoader
    _BaseDumper = yaml.CSafeDumper
except AttributeError:  # PyYAML without libyaml
    _BaseLoader = yaml.SafeLoader
    _BaseDumper = yaml.SafeDumper


class Deferred:
    """A tagged object of an ASDF tree (e.g. ``meta.wcs``), decoded by asdf when first used.

    ``light()`` gives a WCS as a :class:`~jwcal.transforms.TreeWCS` instead, without asdf,
    when numpy can evaluate it (None otherwise).
    """

    __slots__ = ("raw", "path", "node", "_value", "_done", "_light")

    def __init__(self, raw: bytes | None, path: tuple, node=None):
        self.raw = raw
        self.path = path
        self.node = node
        self._done = False
        self._value = None
        self._light = False  # not tried yet

    @classmethod
    def of_wcs(cls, wcs) -> Deferred:
        """A WCS made as a tree (a TreeWCS): asdf makes the gwcs only if one is asked for."""
        d = cls(None, ("wcs",), wcs.to_node())
        d._light = wcs
        return d

    def light(self):
        """The WCS as a TreeWCS, or None when this is not one numpy can evaluate."""
        if self._light is False:
            self._light = None
            if isinstance(self.node, _Tagged) and _tree.kind(self.node.tag) == "gwcs/wcs":
                from ..transforms.wcs import from_node

                try:
                    blocks = _tree.read_blocks(self.raw) if self.raw else None
                except ValueError:
                    blocks = None
                self._light = from_node(self.node, blocks)
        return self._light

    def resolve(self):
        if not self._done:
            if self.raw is None:
                self._value = self._light.to_gwcs()
                self._done = True
                return self._value
            from .asdf_setup import load_asdf

            asdf = load_asdf()

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with asdf.open(io.BytesIO(self.raw), lazy_load=True, memmap=False) as af:
                    cur = af.tree
                    for key in self.path:
                        cur = cur[key]
                    self._value = cur
            self._done = True
        return self._value

    def __repr__(self):
        return f"<Deferred ASDF object at {'.'.join(map(str, self.path))}>"


class _Loader(_BaseLoader):
    pass


def _construct_tagged(loader, tag_suffix, node):
    if isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_scalar(node)
    return _Tagged(tag_suffix, value)


_Loader.add_multi_constructor("tag:", _construct_tagged)
_Loader.add_multi_constructor("!", _construct_tagged)


def _untag(value, raw: bytes, path: tuple, cache: dict | None = None):
    """Plain values as they are; FITS-backed arrays dropped; other tagged objects deferred."""
    if isinstance(value, _Tagged):
        tag = value.tag
        if "core/ndarray" in tag:
            src = value.value.get("source") if isinstance(value.value, dict) else None
            if isinstance(src, str) and src.startswith("fits:"):
                return _DROP
            if isinstance(value.value, dict) and "data" in value.value and src is None:
                return np.asarray(value.value["data"], dtype=value.value.get("datatype"))
            if isinstance(src, int) and raw:
                try:  # a binary block of this file: numpy reads it (asdf for anything else)
                    cache = {} if cache is None else cache
                    if "blocks" not in cache:  # one pass over the file for all its arrays
                        cache["blocks"] = _tree.read_blocks(raw)
                    return _tree.with_arrays(value, cache["blocks"])
                except ValueError:
                    pass
            return Deferred(raw, path, value)
        if "core/asdf" in tag or "core/software" in tag or "extension_metadata" in tag:
            return _untag(value.value, raw, path, cache)
        return Deferred(raw, path, value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            u = _untag(v, raw, path + (k,), cache)
            if u is not _DROP:
                out[k] = u
        return out
    if isinstance(value, list):
        out = []
        for i, v in enumerate(value):
            u = _untag(v, raw, path + (i,), cache)
            if u is not _DROP:
                out.append(u)
        return out
    return value


_DROP = object()


def decode(raw: bytes) -> dict:
    """The tree of an ASDF file held in memory, without loading asdf for plain content."""
    text_end = raw.find(_BLOCK_MAGIC)
    text = raw if text_end < 0 else raw[:text_end]
    doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - our loader is a SafeLoader subclass
    if isinstance(doc, _Tagged):
        doc = doc.value
    if not isinstance(doc, dict):
        return {}
    tree = {}
    cache: dict = {}
    for key, value in doc.items():
        if key in ("asdf_library", "history") or str(key).startswith("_"):
            continue
        u = _untag(value, raw, (key,), cache)
        if u is not _DROP:
            tree[key] = u
    return tree


def read_tree(raw: bytes) -> dict:
    """The whole tree of an ASDF file held in memory, tagged values as
    :class:`~jwcal.transforms.tree.Tagged` nodes and arrays (inline or in binary blocks) as
    numpy arrays, without asdf.  Raises ValueError when the file cannot be read so."""
    text_end = raw.find(_BLOCK_MAGIC)
    text = raw if text_end < 0 else raw[:text_end]
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ValueError(f"not ASDF YAML: {str(exc).splitlines()[0]}") from None
    if isinstance(doc, _Tagged):
        doc = doc.value
    if not isinstance(doc, dict):
        raise ValueError("the ASDF tree is not a mapping")
    blocks = _tree.read_blocks(raw) if text_end >= 0 else []
    return {k: _tree.with_arrays(v, blocks) for k, v in doc.items()
            if k not in ("asdf_library", "history")}  # fmt: skip


def is_plain(value) -> bool:
    """True when a tree holds only what PyYAML writes here: YAML's own values, numeric
    arrays and :class:`~jwcal.transforms.tree.Tagged` nodes of such values."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(is_plain(v) for v in value)
    if isinstance(value, _Tagged):
        return is_plain(value.value)
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf"
    return False


def _plainify(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plainify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plainify(v) for v in value]
    return value


class _Dumper(_BaseDumper):
    pass


def _represent_tagged(dumper, node):
    tag = "tag:" + node.tag
    value = node.value
    if isinstance(value, dict):
        return dumper.represent_mapping(tag, value)
    if isinstance(value, (list, tuple)):
        return dumper.represent_sequence(tag, value)
    return dumper.represent_scalar(tag, str(value))


#: arrays with more values than this go to binary blocks after the YAML, not into it
INLINE_MAX = 1024


def _block_header(data: bytes) -> bytes:
    """The header of an uncompressed ASDF binary block holding ``data``."""
    n = len(data).to_bytes(8, "big")
    return (
        _BLOCK_MAGIC + (48).to_bytes(2, "big") + b"\0" * 8 + n + n + n
        + hashlib.md5(data).digest()
    )  # fmt: skip


def _block_array(dumper, arr, blocks: list):
    """``arr`` as a core/ndarray node whose values are binary block len(blocks)."""
    a = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    blocks.append(a.tobytes())
    name = "bool8" if a.dtype.kind == "b" else a.dtype.newbyteorder("=").name
    value = {"source": len(blocks) - 1, "datatype": name, "byteorder": "little",
             "shape": list(a.shape)}  # fmt: skip
    return dumper.represent_mapping("tag:" + _tree.ASDF + "core/ndarray-1.1.0", value)


def _represent_array(dumper, arr):
    node = _tree.ndarray_node(arr)
    value = dict(node.value)
    data = dumper.represent_sequence("tag:yaml.org,2002:seq", value.pop("data"), flow_style=True)
    rest = dumper.represent_mapping("tag:yaml.org,2002:map", value)
    rest.value.insert(0, (dumper.represent_str("data"), data))
    rest.tag = "tag:" + node.tag
    return rest


_Dumper.add_representer(_Tagged, _represent_tagged)
_Dumper.add_representer(np.ndarray, _represent_array)
_Dumper.add_multi_representer(np.floating, lambda d, v: d.represent_float(float(v)))
_Dumper.add_multi_representer(np.integer, lambda d, v: d.represent_int(int(v)))


def encode(tree: dict) -> bytes:
    """An ASDF file (bytes) holding ``tree``: PyYAML for plain trees (WCS trees numpy can
    evaluate included), asdf otherwise."""
    tree = _resolve_all(_plainify(tree))
    if is_plain(tree):
        blocks: list[bytes] = []

        class Dumper(_Dumper):
            pass

        def represent(dumper, arr):
            if arr.size > INLINE_MAX:
                return _block_array(dumper, arr, blocks)
            return _represent_array(dumper, arr)

        Dumper.add_representer(np.ndarray, represent)
        body = yaml.dump(
            tree,
            Dumper=Dumper,
            default_flow_style=False,
            sort_keys=False,
            allow_unicode=False,
            width=100,
        )
        out = [(_HEADER + body + "...\n").encode("utf-8")]
        for data in blocks:
            out += [_block_header(data), data]
        return b"".join(out)
    from .asdf_setup import load_asdf

    asdf = load_asdf()

    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        asdf.AsdfFile(tree).write_to(buf)
    return buf.getvalue()


def _resolve_all(value):
    if isinstance(value, Deferred):
        if not value._done:
            light = value.light()
            if light is not None:
                return light.to_node()
        return value.resolve()
    if hasattr(value, "to_node") and callable(value.to_node):  # a TreeWCS
        return value.to_node()
    if isinstance(value, dict):
        return {k: _resolve_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_all(v) for v in value]
    return value
