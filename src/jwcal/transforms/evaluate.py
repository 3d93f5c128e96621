"""Evaluation of ASDF transform trees with numpy, forward and inverse.

The transforms the JWST imaging WCS is made of (compositions, concatenations, axis
mappings, shifts, scales, 1-D and 2-D polynomials, affine maps, constants, arithmetic
combinations, the 3-D rotation sequence and gwcs's spherical <-> Cartesian conversions) are
evaluated as astropy and gwcs define them.  Anything else raises :class:`Unsupported`, and
the caller decodes the tree with asdf and gwcs instead.  Inverses are the analytic ones
astropy gives, or the ``inverse`` a node carries (polynomial distortion inverses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .tree import Tagged, kind

__all__ = ["Unsupported", "Fn", "compile_transform"]


class Unsupported(Exception):
    """A transform the numpy evaluator does not know."""


@dataclass(frozen=True)
class Fn:
    """A compiled transform: ``fn(*inputs) -> tuple of outputs``."""

    n_in: int
    n_out: int
    fn: Callable

    def __call__(self, *args):
        if len(args) != self.n_in:
            raise ValueError(f"the transform takes {self.n_in} inputs, got {len(args)}")
        return self.fn(*args)


def compile_transform(node, inverse: bool = False) -> Fn:
    """The forward (or inverse) transform of a tree node, as an :class:`Fn`."""
    if not isinstance(node, Tagged) or not isinstance(node.value, dict):
        raise Unsupported(f"not a transform: {node!r}")
    v = node.value
    if inverse and isinstance(v.get("inverse"), Tagged):
        return compile_transform(v["inverse"])
    k = kind(node.tag)
    table = _INVERSE if inverse else _FORWARD
    build = table.get(k)
    if build is None:
        direction = "inverse of " if inverse else ""
        raise Unsupported(f"{direction}{k}")
    if any(_is_quantity(x) for x in v.values()):
        raise Unsupported(f"{k} with units")
    return build(v)


def _is_quantity(x) -> bool:
    return isinstance(x, Tagged) and kind(x.tag).startswith("unit/quantity")


def _f(x):
    return np.asarray(x, dtype=float)


# --- compound ----------------------------------------------------------------------------------


def _compose(v, inverse=False):
    parts = [compile_transform(p, inverse) for p in v["forward"]]
    if inverse:
        parts = parts[::-1]
    for a, b in zip(parts[:-1], parts[1:], strict=True):
        if a.n_out != b.n_in:
            raise Unsupported("compose of mismatched transforms")

    def fn(*args):
        for p in parts:
            args = p.fn(*args)
        return args

    return Fn(parts[0].n_in, parts[-1].n_out, fn)


def _concat(v, inverse=False):
    parts = [compile_transform(p, inverse) for p in v["forward"]]

    def fn(*args):
        out, i = [], 0
        for p in parts:
            out.extend(p.fn(*args[i : i + p.n_in]))
            i += p.n_in
        return tuple(out)

    return Fn(sum(p.n_in for p in parts), sum(p.n_out for p in parts), fn)


_OPS = {"transform/add": np.add, "transform/subtract": np.subtract,
        "transform/multiply": np.multiply, "transform/divide": np.true_divide}  # fmt: skip


def _arith(op):
    def build(v):
        a, b = (compile_transform(p) for p in v["forward"])
        if a.n_in != b.n_in or a.n_out != b.n_out:
            raise Unsupported("arithmetic of mismatched transforms")

        def fn(*args):
            return tuple(op(x, y) for x, y in zip(a.fn(*args), b.fn(*args), strict=True))

        return Fn(a.n_in, a.n_out, fn)

    return build


def _mapping(mapping, n_in):
    if not all(isinstance(m, int) and 0 <= m < n_in for m in mapping):
        raise Unsupported("remap_axes with constants")
    return Fn(n_in, len(mapping), lambda *args: tuple(args[m] for m in mapping))


def _remap(v):
    mapping = list(v["mapping"])
    return _mapping(mapping, int(v.get("n_inputs", max(mapping) + 1)))


def _remap_inverse(v):
    # astropy's Mapping.inverse: each input taken from its first appearance
    mapping = list(v["mapping"])
    n_in = int(v.get("n_inputs", max(mapping) + 1))
    try:
        inv = [mapping.index(i) for i in range(n_in)]
    except ValueError:
        raise Unsupported("a mapping that drops inputs has no inverse") from None
    return _mapping(inv, len(mapping))


def _identity(v):
    n = int(v.get("n_dims", 1))
    return Fn(n, n, lambda *args: tuple(_f(a) for a in args))


# --- simple ------------------------------------------------------------------------------------


def _shift(sign):
    def build(v):
        off = float(v["offset"]) * sign
        return Fn(1, 1, lambda x: (_f(x) + off,))

    return build


def _scale(invert):
    def build(v):
        fac = float(v["factor"])
        if invert:
            fac = 1.0 / fac
        return Fn(1, 1, lambda x: (_f(x) * fac,))

    return build


def _constant(v):
    value = v.get("value")
    if not isinstance(value, (int, float)):
        raise Unsupported("constant with a non-scalar value")
    n = int(v.get("dimensions", 1))
    return Fn(n, 1, lambda *args: (np.full(np.shape(args[0]), float(value)),))


def _affine(inverse):
    def build(v):
        m = _f(v["matrix"])
        t = _f(v.get("translation", np.zeros(m.shape[0])))
        if m.shape != (2, 2) or t.shape != (2,):
            raise Unsupported("affine transformation of other than 2 dimensions")
        if inverse:
            minv = np.linalg.inv(m)

            def fn(x, y):
                x, y = _f(x) - t[0], _f(y) - t[1]
                return minv[0, 0] * x + minv[0, 1] * y, minv[1, 0] * x + minv[1, 1] * y

        else:
            # astropy's product with the augmented matrix (the same rounding)
            aug = np.eye(3)
            aug[:2, :2] = m
            aug[:2, 2] = t

            def fn(x, y):
                x, y = np.broadcast_arrays(_f(x), _f(y))
                inarr = np.vstack([x.ravel(), y.ravel(), np.ones(x.size)])
                out = np.dot(aug, inarr)
                return out[0].reshape(x.shape), out[1].reshape(x.shape)

        return Fn(2, 2, fn)

    return build


def _map_domain(x, domain, window):
    d0, d1 = (float(d) for d in domain)
    w0, w1 = (float(w) for w in window)
    if (d0, d1) == (w0, w1):
        return x
    scl = (w1 - w0) / (d1 - d0)
    off = (w0 * d1 - w1 * d0) / (d1 - d0)
    return off + scl * x


def _polynomial(v):
    c = _f(v["coefficients"])
    if c.ndim == 1:
        domain, window = v.get("domain"), v.get("window") or (-1, 1)

        def fn1(x):
            x = _f(x)
            if domain is not None:
                x = _map_domain(x, domain, window)
            out = np.full(x.shape, c[-1])
            for ci in c[-2::-1]:
                out = out * x + ci
            return (out,)

        return Fn(1, 1, fn1)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise Unsupported("polynomial coefficients that are not (n+1, n+1)")
    deg = c.shape[0] - 1
    dom = v.get("domain") or [(-1, 1), (-1, 1)]
    win = v.get("window") or [(-1, 1), (-1, 1)]
    dom = [d if d is not None else (-1, 1) for d in dom]
    win = [w if w is not None else (-1, 1) for w in win]
    # astropy's multivariate Horner scheme, step for step (the same rounding): terms in
    # inverse lexical order of (x power, y power); coefficients[i, j] multiplies x**i y**j
    alpha = [(j, i) for i in range(deg + 1) for j in range(deg + 1) if i + j <= deg][::-1]
    coeffs = [float(c[p, q]) for p, q in alpha]
    ystep = [b[1] != a[1] for a, b in zip(alpha[:-1], alpha[1:], strict=True)]

    def fn2(x, y):
        x = _map_domain(_f(x), dom[0], win[0])
        y = _map_domain(_f(y), dom[1], win[1])
        r0 = coeffs[0]
        r1 = r2 = 0.0
        for n, new_y in enumerate(ystep):
            if new_y:
                r2 = y * (r0 + r1 + r2)
                r1 = 0.0
            else:
                r1 = x * (r0 + r1)
            r0 = coeffs[n + 1]
        out = r0 + r1 + r2
        return (np.broadcast_to(out, np.broadcast(x, y).shape).astype(float),)

    return Fn(2, 1, fn2)


# --- spherical geometry ------------------------------------------------------------------------


def _spherical_cartesian(inverse):
    def build(v):
        ttype = v.get("transform_type", "spherical_to_cartesian")
        wrap = int(v.get("wrap_lon_at", 360))
        to_cart = (ttype == "spherical_to_cartesian") != inverse
        if to_cart:

            def fn(lon, lat):
                lon, lat = np.deg2rad(_f(lon)), np.deg2rad(_f(lat))
                cs = np.cos(lat)
                return cs * np.cos(lon), cs * np.sin(lon), np.sin(lat)

            return Fn(2, 3, fn)

        def fn3(x, y, z):
            x, y, z = _f(x), _f(y), _f(z)
            h = np.hypot(x, y)
            lat = np.rad2deg(np.arctan2(z, h))
            lon = np.rad2deg(np.arctan2(y, x))
            lon = np.where(h == 0, 0.0 * lon, lon)
            if wrap != 180:
                lon = np.mod(lon, 360.0, where=np.isfinite(lon), out=np.array(lon, dtype=float))
            return lon, lat

        return Fn(3, 2, fn3)

    return build


def _axis_matrix(angle_rad: float, axis: str) -> np.ndarray:
    # the frame rotation astropy's rotation_matrix makes
    i = "xyz".index(axis)
    s, c = np.sin(angle_rad), np.cos(angle_rad)
    r = np.eye(3)
    a1, a2 = (i + 1) % 3, (i + 2) % 3
    r[a1, a1] = c
    r[a1, a2] = s
    r[a2, a1] = -s
    r[a2, a2] = c
    return r


def _rotate3d(inverse):
    def build(v):
        if v.get("rotation_type", "cartesian") != "cartesian":
            raise Unsupported("spherical rotation sequence")
        angles = [float(a) for a in v["angles"]]
        axes = str(v["axes_order"])
        if inverse:
            angles, axes = [-a for a in angles[::-1]], axes[::-1]
        # astropy's product, in its order: R_n @ ... @ R_1 associated from the left
        mats = [_axis_matrix(np.deg2rad(a), ax) for a, ax in zip(angles, axes, strict=True)]
        m = mats[-1]
        for r in mats[-2::-1]:
            m = m @ r

        def fn(x, y, z):
            x, y, z = np.broadcast_arrays(_f(x), _f(y), _f(z))
            out = m @ np.array([x.ravel(), y.ravel(), z.ravel()])
            return tuple(out.reshape((3, *x.shape)))

        return Fn(3, 3, fn)

    return build


def _fitswcs(inverse):
    # gwcs's FITS imaging transform: 0-based CRPIX, CD = CDELT * PC, gnomonic projection with
    # the native pole at 180 deg: jwcore's TAN frame
    def build(v):
        proj = v.get("projection")
        if (not isinstance(proj, Tagged) or kind(proj.tag) != "transform/gnomonic"
                or proj.value.get("direction", "pix2sky") != "pix2sky"):  # fmt: skip
            raise Unsupported("FITS imaging WCS with a projection other than TAN")
        from jwcore.resample import tan_pixel_to_world, tan_world_to_pixel

        crpix = tuple(float(c) for c in _f(v["crpix"]))
        crval = tuple(float(c) for c in _f(v["crval"]))
        cd = _f(v["cdelt"])[:, None] * _f(v["pc"])
        func = tan_world_to_pixel if inverse else tan_pixel_to_world

        def fn(a, b):
            a, b = np.broadcast_arrays(_f(a), _f(b))
            shape = a.shape
            p, q = func(a.ravel(), b.ravel(), crval, crpix, cd)
            return p.reshape(shape), q.reshape(shape)

        return Fn(2, 2, fn)

    return build


_FORWARD = {
    "transform/compose": _compose,
    "transform/concatenate": _concat,
    "transform/remap_axes": _remap,
    "transform/identity": _identity,
    "transform/shift": _shift(1.0),
    "transform/scale": _scale(False),
    "transform/constant": _constant,
    "transform/affine": _affine(False),
    "transform/polynomial": _polynomial,
    "transform/rotate_sequence_3d": _rotate3d(False),
    "gwcs/spherical_cartesian": _spherical_cartesian(False),
    "gwcs/fitswcs_imaging": _fitswcs(False),
    **{k: _arith(op) for k, op in _OPS.items()},
}

_INVERSE = {
    "transform/compose": lambda v: _compose(v, True),
    "transform/concatenate": lambda v: _concat(v, True),
    "transform/remap_axes": _remap_inverse,
    "transform/identity": _identity,
    "transform/shift": _shift(-1.0),
    "transform/scale": _scale(True),
    "transform/affine": _affine(True),
    "transform/rotate_sequence_3d": _rotate3d(True),
    "gwcs/spherical_cartesian": _spherical_cartesian(True),
    "gwcs/fitswcs_imaging": _fitswcs(True),
}
