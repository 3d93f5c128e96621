"""jump: flag cosmic-ray jumps (two-point differences, snowballs, showers)."""

from .jump_step import JumpStep

__all__ = ["JumpStep"]
