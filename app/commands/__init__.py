"""Sub-commands of ``ftr``; add a module here and to :data:`COMMAND_MODULES`."""

from __future__ import annotations

from types import ModuleType

from app.commands import (
    audit,
    clear,
    clock,
    create_auction,
    create_participant,
    demo,
    forecast,
    import_network,
    jobs,
    migrate,
    serve,
    settle,
    worker,
)

COMMAND_MODULES: tuple[ModuleType, ...] = (
    serve,
    migrate,
    create_participant,
    import_network,
    create_auction,
    demo,
    clear,
    settle,
    audit,
    forecast,
    clock,
    worker,
    jobs,
)
