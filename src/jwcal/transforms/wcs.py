"""A gwcs held as its ASDF tree and evaluated with numpy: :class:`TreeWCS`.

Importing gwcs pulls in astropy.coordinates, astropy.modeling, astropy.wcs and
scipy.optimize, seconds per process.  An imaging WCS is a chain of a few simple transforms,
so jwcal builds it (assign_wcs), evaluates it (S_REGION, the SIP fit, the resample pixel
map) and writes it (the product's ASDF extension) as the tree itself.  The gwcs object is
made from the tree only when something asks for a gwcs feature (``to_gwcs``).

``TreeWCS`` answers the part of the gwcs interface jwcal's imaging steps use: calling it,
``invert``, ``forward_transform``, ``bounding_box``, ``input_frame``/``output_frame`` (their
names), ``footprint`` and ``pixel_shape``.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

from . import tree as T
from .evaluate import Fn, Unsupported, compile_transform
from .tree import Tagged, kind

__all__ = ["TreeWCS", "BoundingBox", "Frame", "bbox_of", "from_node"]


class BoundingBox(tuple):
    """((x0, x1), (y0, y1)) in the order of the inputs, with gwcs's ``bounding_box(order)``."""

    def bounding_box(self, order: str = "F"):
        return tuple(self) if order == "F" else tuple(self[::-1])


class Frame:
    """A coordinate frame of the tree: its ``name`` and node."""

    def __init__(self, node: Tagged):
        self.node = node
        self.name = node.value.get("name") if isinstance(node.value, dict) else None

    @property
    def celestial(self) -> bool:
        return kind(self.node.tag) == "gwcs/celestial_frame"

    def __repr__(self):
        return f"<Frame {self.name}>"


def bbox_of(node: Tagged):
    """The bounding box of a transform node (None when it has none)."""
    bb = node.value.get("bounding_box")
    if bb is None:
        return None
    if isinstance(bb, Tagged):
        if kind(bb.tag) != "transform/property/bounding_box" or bb.value.get("ignore"):
            raise Unsupported(f"bounding box {bb.tag}")
        names = node.value.get("inputs")
        iv = bb.value["intervals"]
        if names is None:
            names = list(iv)
        return BoundingBox(tuple(float(v) for v in iv[n]) for n in names)
    if isinstance(bb, list):  # the old form: a list of intervals in C order
        return BoundingBox(tuple(float(v) for v in iv) for iv in bb[::-1])
    raise Unsupported("bounding box")


class TreeWCS:
    """A WCS as a gwcs ASDF tree (``gwcs/wcs`` node, arrays as numpy arrays)."""

    def __init__(self, node: Tagged):
        if not isinstance(node, Tagged) or kind(node.tag) != "gwcs/wcs":
            raise Unsupported(f"not a gwcs tree: {node!r}")
        self.node = node
        steps = node.value.get("steps") or []
        if len(steps) < 2 or any(kind(s.tag) != "gwcs/step" for s in steps):
            raise Unsupported("gwcs steps")
        self.frames = [Frame(s.value["frame"]) for s in steps]
        self.transforms = [s.value.get("transform") for s in steps[:-1]]
        if any(t is None for t in self.transforms):
            raise Unsupported("a gwcs step without a transform")
        self._forward = None
        self.bounding_box = bbox_of(self.transforms[0])
        self._inverse = None

    # --- the gwcs interface ------------------------------------------------------------------

    @property
    def input_frame(self) -> Frame:
        return self.frames[0]

    @property
    def output_frame(self) -> Frame:
        return self.frames[-1]

    @property
    def forward_transform(self) -> Fn:
        """The pixel -> world transform (raises Unsupported when numpy cannot evaluate it:
        ``evaluable`` tells, ``to_gwcs`` is the way then)."""
        if self._forward is None:
            self._forward = _chain([compile_transform(t) for t in self.transforms])
        return self._forward

    @property
    def evaluable(self) -> bool:
        try:
            return self.forward_transform is not None
        except Unsupported:
            return False

    @property
    def pixel_shape(self):
        shape = self.node.value.get("pixel_shape")
        return None if shape is None else tuple(int(n) for n in shape)

    @property
    def array_shape(self):
        shape = self.pixel_shape
        return None if shape is None else shape[::-1]

    def __call__(self, *args, with_bounding_box: bool = True):
        out = self.forward_transform(*args)
        return self._clip(out, args) if with_bounding_box else out

    def invert(self, *args, with_bounding_box: bool = True):
        """Pixel coordinates of world coordinates, through the analytic inverse (the one gwcs
        uses when every transform has one); NotImplementedError when there is none."""
        if self._inverse is None:
            try:
                parts = [compile_transform(t, inverse=True) for t in self.transforms[::-1]]
            except Unsupported as exc:
                raise NotImplementedError(f"no analytic inverse: {exc}") from None
            self._inverse = _chain(parts)
        out = self._inverse(*args)
        return self._clip(out, out) if with_bounding_box else out

    def _clip(self, out, pixels):
        """``out`` with NaN where ``pixels`` are outside the bounding box (as gwcs does)."""
        if self.bounding_box is None:
            return out
        outside = _outside(pixels, self.bounding_box)
        if outside is None:
            return out
        return tuple(np.where(outside, np.nan, o) for o in out)

    def footprint(self) -> np.ndarray:
        """(4, 2) world coordinates of the bounding-box corners, as gwcs orders them."""
        (x0, x1), (y0, y1) = self.bounding_box
        x = np.array([x0, x0, x1, x1], float)
        y = np.array([y0, y1, y1, y0], float)
        ra, dec = self.forward_transform(x, y)
        return np.column_stack([ra, dec])

    # --- conversions -------------------------------------------------------------------------

    def to_node(self) -> Tagged:
        return self.node

    def to_gwcs(self):
        """The gwcs object (asdf decodes the tree: loads gwcs and astropy)."""
        from ..datamodels.asdf_block import encode
        from ..datamodels.asdf_setup import load_asdf

        asdf = load_asdf()
        raw = encode({"wcs": self.node})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with asdf.open(io.BytesIO(raw), lazy_load=False, memmap=False) as af:
                return af.tree["wcs"]

    def with_pixel_shape(self, pixel_shape) -> TreeWCS:
        value = dict(self.node.value)
        value["pixel_shape"] = None if pixel_shape is None else [int(n) for n in pixel_shape]
        return TreeWCS(Tagged(self.node.tag, value))

    @classmethod
    def from_steps(cls, steps, pixel_shape=None) -> TreeWCS:
        """From [(frame node, transform node), ..., (frame node, None)]."""
        return cls(T.wcs([T.step(f, t) for f, t in steps], pixel_shape))

    def __repr__(self):
        return f"<TreeWCS {' -> '.join(str(f.name) for f in self.frames)}>"


def _chain(parts: list[Fn]) -> Fn:
    if len(parts) == 1:
        return parts[0]

    def fn(*args):
        for p in parts:
            args = p.fn(*args)
        return args

    return Fn(parts[0].n_in, parts[-1].n_out, fn)


def _outside(coords, bbox):
    mask = None
    for c, (lo, hi) in zip(coords, bbox, strict=True):
        c = np.asarray(c, float)
        out = (c < lo) | (c > hi)
        mask = out if mask is None else mask | out
    if mask is None or not np.any(mask):
        return None
    return mask


def from_node(node, blocks=None):
    """A TreeWCS of a decoded ``gwcs/wcs`` node (arrays still ``core/ndarray`` nodes,
    ``blocks`` the file's binary blocks), or None when numpy cannot evaluate it."""
    try:
        wcs = TreeWCS(T.with_arrays(node, blocks))
        return wcs if wcs.evaluable else None
    except (Unsupported, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
