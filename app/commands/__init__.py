"""Sub-commands of ``ftr``; add a module here and to :data:`COMMAND_MODULES`."""

from __future__ import annotations

from types import ModuleType

from app.commands import serve, settle

COMMAND_MODULES: tuple[ModuleType, ...] = (serve, settle)
