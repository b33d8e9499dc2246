"""Errors raised for bad network input. Each names the element (or file/row/column) and the problem.

Hierarchy::

    ValueError
     └── NetworkError                 any bad network input
          ├── UnknownElementError     a bus, branch, point, interface or contingency id that does not exist
          ├── InvalidElementError     an element whose data are unusable (zero reactance, bad weights, ...)
          ├── CaseFormatError         a file or document that is not a readable case
          ├── SingularNetworkError    the reduced susceptance matrix cannot be factorised
          └── SizeLimitError          a dense result was asked for a case too large for it

Infeasibility and islanding are *not* errors: they are reported as values.
"""

from __future__ import annotations


class NetworkError(ValueError):
    """Bad network input; the message names the element and the problem."""


class UnknownElementError(NetworkError, KeyError):
    """An id that names no element of the network."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InvalidElementError(NetworkError):
    """An element whose data cannot be used (e.g. a zero reactance on an in-service branch)."""


class CaseFormatError(NetworkError):
    """A file or JSON document that is not a readable network case."""


class SingularNetworkError(NetworkError):
    """The reduced susceptance matrix of the energised island is singular."""


class SizeLimitError(NetworkError):
    """A dense matrix was requested for a network above the size limit."""
