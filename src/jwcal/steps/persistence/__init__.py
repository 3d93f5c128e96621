"""persistence: flag groups inside persistence windows (jwst 3.0)."""

from .persistence_step import PersistenceStep

__all__ = ["PersistenceStep"]
