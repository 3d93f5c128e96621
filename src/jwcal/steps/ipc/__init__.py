"""ipc: inter-pixel capacitance correction."""

from .ipc_step import IPCStep

__all__ = ["IPCStep"]
