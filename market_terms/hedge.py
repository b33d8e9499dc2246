"""The hedge type of an FTR (OA 7.1.1): obligation or option.

How each package reads it: an obligation's flow counts in full on a constraint and its credits may be
negative (a counterflow path pays, OA 5.2.4); an option counts with its adverse flow only and its
target allocation is floored at zero (OA 5.2.4, 7.1.1).

Users write ``OBL`` / ``OPT`` as in PJM's files: :func:`parse_hedge` reads every name of
:data:`HEDGE_ALIASES`, case-insensitively, and refuses anything else with the accepted list.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Hedge(StrEnum):
    """Obligation or option (OA 7.1.1)."""

    OBLIGATION = "obligation"
    OPTION = "option"


HEDGE_ALIASES: Mapping[str, Hedge] = MappingProxyType(
    {
        "obligation": Hedge.OBLIGATION,
        "obl": Hedge.OBLIGATION,
        "option": Hedge.OPTION,
        "opt": Hedge.OPTION,
    }
)
"""Every accepted spelling (lower case) -> its hedge type; matching ignores case and surrounding blanks."""

ACCEPTED_HEDGES = ", ".join(HEDGE_ALIASES)
"""The accepted spellings as an error message lists them."""


def parse_hedge(text: str) -> Hedge:
    """The hedge type ``text`` names (any case); :class:`ValueError` with the accepted list otherwise."""
    found = HEDGE_ALIASES.get(text.strip().lower())
    if found is None:
        raise ValueError(f"{text!r} is not a hedge type; accepted (any case): {ACCEPTED_HEDGES}")
    return found
