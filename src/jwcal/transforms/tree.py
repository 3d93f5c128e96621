"""ASDF transform trees as plain tagged values, read and written without asdf.

A node of the tree is a :class:`Tagged` value (its YAML tag without the ``tag:`` prefix, as
the YAML loader hands it over, and its mapping); arrays are numpy arrays, taken from the
file's binary blocks or from inline ``data``.  The builders make the nodes jwst's imaging WCS
is made of, with the tags and field names asdf-astropy and gwcs write, so that any ASDF
reader (stdatamodels, asdf, gwcs) decodes what jwcal writes into the same astropy models.
"""

from __future__ import annotations

import bz2
import zlib

import numpy as np

__all__ = [
    "Tagged",
    "kind",
    "read_blocks",
    "with_arrays",
    "ndarray_node",
    "shift",
    "scale",
    "identity",
    "compose",
    "concat",
    "spherical_to_cartesian",
    "cartesian_to_spherical",
    "rotate_sequence_3d",
    "bounding_box",
    "unit",
    "frame2d",
    "celestial_frame",
    "step",
    "wcs",
    "fitswcs_imaging",
]

ASDF = "stsci.edu:asdf/"
GWCS = "stsci.edu:gwcs/"
TRANSFORM = ASDF + "transform/"
BLOCK_MAGIC = b"\xd3BLK"


class Tagged:
    """A tagged YAML value: ``tag`` (e.g. ``stsci.edu:asdf/transform/shift-1.4.0``) and its
    ``value`` (a dict for transforms and frames, a string for units)."""

    __slots__ = ("tag", "value")

    def __init__(self, tag: str, value):
        self.tag = tag
        self.value = value

    def __repr__(self):
        return f"Tagged({self.tag!r})"


def kind(tag: str) -> str:
    """The tag without its authority and version: ``transform/shift``, ``gwcs/step``."""
    base = tag.rsplit("-", 1)[0]
    if base.startswith(ASDF):
        return base[len(ASDF) :]
    if base.startswith(GWCS):
        return "gwcs/" + base[len(GWCS) :]
    return base


# --- binary blocks and arrays ------------------------------------------------------------------


def read_blocks(raw: bytes) -> list[bytes]:
    """The binary blocks of an ASDF file held in memory, in order (zlib and bzip2 blocks
    decompressed).  Raises ValueError on a block it cannot read."""
    blocks = []
    pos = raw.find(BLOCK_MAGIC)
    while pos >= 0 and pos + 6 <= len(raw) and raw[pos : pos + 4] == BLOCK_MAGIC:
        hsize = int.from_bytes(raw[pos + 4 : pos + 6], "big")
        head = raw[pos + 6 : pos + 6 + hsize]
        if len(head) < 48:
            raise ValueError("truncated ASDF block header")
        flags = int.from_bytes(head[0:4], "big")
        comp = head[4:8]
        allocated = int.from_bytes(head[8:16], "big")
        used = int.from_bytes(head[16:24], "big")
        size = int.from_bytes(head[24:32], "big")
        if flags & 1:
            raise ValueError("streamed ASDF blocks are not supported")
        start = pos + 6 + hsize
        data = raw[start : start + used]
        if len(data) < used:
            raise ValueError("truncated ASDF block")
        if comp == b"\0\0\0\0":
            pass
        elif comp == b"zlib":
            data = zlib.decompress(data)
        elif comp == b"bzp2":
            data = bz2.decompress(data)
        else:
            raise ValueError(f"ASDF block compression {comp!r} is not supported")
        if len(data) != size:
            raise ValueError("ASDF block size mismatch")
        blocks.append(data)
        pos = start + allocated
    return blocks


_BYTEORDER = {"little": "<", "big": ">"}


def _array(node: Tagged, blocks) -> np.ndarray:
    v = node.value
    dtype = v.get("datatype")
    if not isinstance(dtype, str):
        raise ValueError("only numeric ASDF arrays are supported")
    if "data" in v:
        return np.asarray(v["data"], dtype=dtype)
    src = v.get("source")
    if not isinstance(src, int) or blocks is None or not 0 <= src < len(blocks):
        raise ValueError(f"ASDF array source {src!r} is not a block of this file")
    dt = np.dtype(dtype).newbyteorder(_BYTEORDER.get(v.get("byteorder", "little"), "<"))
    shape = tuple(int(n) for n in v.get("shape", ()))
    offset = int(v.get("offset", 0))
    count = int(np.prod(shape)) if shape else 1
    strides = v.get("strides")
    if strides is not None:
        raise ValueError("strided ASDF arrays are not supported")
    arr = np.frombuffer(blocks[src], dtype=dt, count=count, offset=offset).reshape(shape)
    return arr.astype(dt.newbyteorder("="))


def with_arrays(value, blocks):
    """``value`` with every ``core/ndarray`` node replaced by its numpy array."""
    if isinstance(value, Tagged):
        if kind(value.tag) == "core/ndarray":
            return _array(value, blocks)
        return Tagged(value.tag, with_arrays(value.value, blocks))
    if isinstance(value, dict):
        return {k: with_arrays(v, blocks) for k, v in value.items()}
    if isinstance(value, list):
        return [with_arrays(v, blocks) for v in value]
    return value


def ndarray_node(a: np.ndarray) -> Tagged:
    """An inline ASDF array (the values in the YAML, exact for floats)."""
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"cannot write a {a.dtype} array inline")
    return Tagged(
        ASDF + "core/ndarray-1.1.0",
        {"data": a.tolist(), "datatype": a.dtype.name, "shape": list(a.shape)},
    )


# --- builders ----------------------------------------------------------------------------------


def _named(fields: dict, name) -> dict:
    # asdf-astropy writes the keys of a transform in alphabetical order
    if name is not None:
        fields["name"] = name
    return dict(sorted(fields.items()))


def _io(node) -> tuple[list, list]:
    v = node.value
    return list(v.get("inputs", ["x0", "x1"])), list(v.get("outputs", ["y0", "y1"]))


def _combine_labels(left: list, right: list) -> list:
    # astropy's names of the inputs (outputs) of ``left & right``
    if set(left) & set(right):
        left = [f"{n}0" for n in left]
        right = [f"{n}1" for n in right]
    return left + right


def shift(offset: float, name: str | None = None) -> Tagged:
    fields = {"inputs": ["x"], "offset": float(offset), "outputs": ["y"]}
    return Tagged(TRANSFORM + "shift-1.4.0", _named(fields, name))


def scale(factor: float, name: str | None = None) -> Tagged:
    fields = {"factor": float(factor), "inputs": ["x"], "outputs": ["y"]}
    return Tagged(TRANSFORM + "scale-1.4.0", _named(fields, name))


def identity(n_dims: int = 1) -> Tagged:
    names = [f"x{i}" for i in range(n_dims)]
    fields = {"inputs": names, "outputs": list(names)}
    if n_dims != 1:
        fields["n_dims"] = int(n_dims)
    return Tagged(TRANSFORM + "identity-1.4.0", _named(fields, None))


def concat(left: Tagged, right: Tagged, name: str | None = None) -> Tagged:
    """``left & right``, its inputs and outputs named as astropy names them."""
    (li, lo), (ri, ro) = _io(left), _io(right)
    fields = {"forward": [left, right], "inputs": _combine_labels(li, ri),
              "outputs": _combine_labels(lo, ro)}  # fmt: skip
    return Tagged(TRANSFORM + "concatenate-1.4.0", _named(fields, name))


def compose(*parts: Tagged, name: str | None = None) -> Tagged:
    """``parts[0] | parts[1] | ...`` (left-associative, as astropy builds it)."""
    node = parts[0]
    for i, nxt in enumerate(parts[1:], start=2):
        fields = {"forward": [node, nxt], "inputs": _io(node)[0], "outputs": _io(nxt)[1]}
        node = Tagged(
            TRANSFORM + "compose-1.4.0", _named(fields, name if i == len(parts) else None)
        )
    return node


def spherical_to_cartesian(wrap_lon_at: int = 360) -> Tagged:
    return Tagged(
        GWCS + "spherical_cartesian-1.3.0",
        {"inputs": ["lon", "lat"], "outputs": ["x", "y", "z"],
         "transform_type": "spherical_to_cartesian", "wrap_lon_at": int(wrap_lon_at)},
    )  # fmt: skip


def cartesian_to_spherical(wrap_lon_at: int = 360) -> Tagged:
    return Tagged(
        GWCS + "spherical_cartesian-1.3.0",
        {"inputs": ["x", "y", "z"], "outputs": ["lon", "lat"],
         "transform_type": "cartesian_to_spherical", "wrap_lon_at": int(wrap_lon_at)},
    )  # fmt: skip


def rotate_sequence_3d(angles, axes_order: str) -> Tagged:
    return Tagged(
        TRANSFORM + "rotate_sequence_3d-1.2.0",
        {"angles": [float(a) for a in angles], "axes_order": axes_order,
         "inputs": ["x", "y", "z"], "outputs": ["x", "y", "z"], "rotation_type": "cartesian"},
    )  # fmt: skip


def bounding_box(node: Tagged, bbox) -> Tagged:
    """``node`` with the bounding box ((x0, x1), (y0, y1)) of its two inputs (order F)."""
    names = _io(node)[0]
    if len(names) != len(bbox):
        raise ValueError(f"a bounding box of {len(bbox)} intervals for {len(names)} inputs")
    prop = Tagged(
        TRANSFORM + "property/bounding_box-1.2.0",
        {"ignore": [], "intervals": {n: [float(lo), float(hi)] for n, (lo, hi) in
                                     zip(names, bbox, strict=True)}, "order": "F"},
    )  # fmt: skip
    value = dict(node.value)
    value["bounding_box"] = prop
    return Tagged(node.tag, _named(value, None))


def unit(name: str) -> Tagged:
    return Tagged(ASDF + "unit/unit-1.0.0", name)


def frame2d(name: str, axes_names=("x", "y"), units=("pixel", "pixel")) -> Tagged:
    return Tagged(
        GWCS + "frame2d-1.2.0",
        {"axes_names": list(axes_names), "axes_order": [0, 1],
         "axis_physical_types": [f"custom:{a}" for a in axes_names], "name": name,
         "unit": [unit(u) for u in units]},
    )  # fmt: skip


def celestial_frame(name: str = "world") -> Tagged:
    """An ICRS celestial frame (lon, lat in degrees)."""
    return Tagged(
        GWCS + "celestial_frame-1.2.0",
        {"axes_names": ["lon", "lat"], "axes_order": [0, 1],
         "axis_physical_types": ["pos.eq.ra", "pos.eq.dec"], "name": name,
         "reference_frame": Tagged("astropy.org:astropy/coordinates/frames/icrs-1.1.0",
                                   {"frame_attributes": {}}),
         "unit": [unit("deg"), unit("deg")]},
    )  # fmt: skip


def step(frame: Tagged, transform: Tagged | None) -> Tagged:
    return Tagged(GWCS + "step-1.3.0", {"frame": frame, "transform": transform})


def wcs(steps: list, pixel_shape=None, name: str = "") -> Tagged:
    shape = None if pixel_shape is None else [int(n) for n in pixel_shape]
    return Tagged(GWCS + "wcs-1.4.0", {"name": name, "pixel_shape": shape, "steps": list(steps)})


def fitswcs_imaging(crpix, crval, cdelt, pc, bbox) -> Tagged:
    """gwcs's FITS imaging transform (TAN): ``crpix`` 0-based, as gwcs takes it."""
    projection = Tagged(
        TRANSFORM + "gnomonic-1.4.0",
        {"direction": "pix2sky", "inputs": ["x", "y"], "outputs": ["phi", "theta"]},
    )
    node = Tagged(
        GWCS + "fitswcs_imaging-1.0.0",
        {"cdelt": np.asarray(cdelt, float), "crpix": np.asarray(crpix, float),
         "crval": np.asarray(crval, float), "inputs": ["x", "y"], "outputs": ["lon", "lat"],
         "pc": np.asarray(pc, float), "projection": projection},
    )  # fmt: skip
    return bounding_box(node, bbox)
