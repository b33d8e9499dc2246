"""The hedge type of an FTR (OA 7.1.1): obligation or option.

How each package reads it: an obligation's flow counts in full on a constraint and its credits may be
negative (a counterflow path pays, OA 5.2.4); an option counts with its adverse flow only and its
target allocation is floored at zero (OA 5.2.4, 7.1.1).
"""

from __future__ import annotations

from enum import StrEnum


class Hedge(StrEnum):
    """Obligation or option (OA 7.1.1)."""

    OBLIGATION = "obligation"
    OPTION = "option"
