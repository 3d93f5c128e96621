"""Attribute access to a model's metadata tree: ``model.meta.exposure.ngroups``."""

from __future__ import annotations

from ..transforms.wcs import TreeWCS
from . import schema
from .asdf_block import Deferred

__all__ = ["Node"]


class Node:
    """A view of one dict of the metadata tree.

    Reading a value the schema knows but the tree lacks gives None; reading an object the
    schema knows gives an empty Node that is attached to the tree when something is set in
    it; reading a name the schema does not know and the tree lacks raises AttributeError.
    """

    __slots__ = ("_tree", "_path", "_parent", "_key")

    def __init__(self, tree: dict, path: str = "meta", parent: Node | None = None, key=None):
        object.__setattr__(self, "_tree", tree)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_parent", parent)
        object.__setattr__(self, "_key", key)

    def _attach(self) -> None:
        # An empty node read through a known path joins the tree on its first write.
        parent = self._parent
        if parent is not None and self._key not in parent._tree:
            parent._attach()
            parent._tree[self._key] = self._tree

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        tree = self._tree
        path = f"{self._path}.{name}"
        if name in tree:
            value = tree[name]
            if isinstance(value, Deferred):
                value = tree[name] = value.resolve()
            if isinstance(value, dict):
                return Node(value, path, self, name)
            return value
        if schema.is_node(path):
            return Node({}, path, self, name)
        if schema.is_leaf(path):
            return None
        raise AttributeError(f"{path} is not in the metadata")

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, Node):
            value = value._tree
        elif isinstance(value, TreeWCS):
            # kept as its tree: a gwcs is made of it only when ``.wcs`` is read
            value = Deferred.of_wcs(value)
        value = schema.coerce_value(value)
        self._attach()
        self._tree[name] = value

    def __delattr__(self, name: str) -> None:
        self._tree.pop(name, None)

    def __contains__(self, name: str) -> bool:
        return name in self._tree

    def __iter__(self):
        return iter(self._tree)

    def __repr__(self) -> str:
        return f"<Node {self._path}: {self._tree!r}>"

    def __eq__(self, other) -> bool:
        if isinstance(other, Node):
            return self._tree == other._tree
        return NotImplemented

    def get(self, dotted: str, default=None):
        """Value at a dotted path below this node (``"exposure.ngroups"``), or ``default``."""
        cur = self._tree
        for part in dotted.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return default
            if isinstance(cur[part], Deferred):
                cur[part] = cur[part].resolve()
            cur = cur[part]
        return cur

    def light_wcs(self):
        """``wcs`` below this node as a :class:`~jwcal.transforms.TreeWCS` when numpy can
        evaluate it (no gwcs import), else the gwcs object (or None when there is none)."""
        value = self._tree.get("wcs")
        if isinstance(value, Deferred) and not value._done:
            light = value.light()
            if light is not None:
                return light
        if hasattr(value, "to_node"):
            return value
        return self.get("wcs")

    def set(self, dotted: str, value) -> None:
        """Set a value at a dotted path below this node, creating objects on the way."""
        self._attach()
        cur = self._tree
        parts = dotted.split(".")
        for part in parts[:-1]:
            nxt = cur.get(part)
            if not isinstance(nxt, dict):
                nxt = cur[part] = {}
            cur = nxt
        cur[parts[-1]] = schema.coerce_value(value)

    def to_dict(self) -> dict:
        """The underlying dict (not a copy)."""
        return self._tree

    def items(self):
        return self._tree.items()
