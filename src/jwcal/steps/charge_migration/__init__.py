"""charge_migration: flag groups affected by charge migration."""

from .charge_migration_step import ChargeMigrationStep

__all__ = ["ChargeMigrationStep"]
