"""The service's typed errors. Each carries its HTTP status and becomes one RFC 9457 problem.

    ServiceError (500)
    ├── BadRequest (400)
    │   └── UploadFormatError
    ├── Unauthenticated (401)
    ├── Forbidden (403)                 the role may not do this at all
    ├── NotFound (404)                  also: exists but belongs to someone else (no leak)
    ├── Conflict (409)
    │   ├── InvalidStateTransition      auction lifecycle draft -> open -> closed -> cleared -> posted
    │   ├── BidWindowClosed             OA 7.1.2 window not open at the server clock
    │   ├── AlreadyExists
    │   ├── JobAlreadyRunning
    │   ├── BidBookAltered             the bid book no longer matches its seal from window close
    │   ├── IdempotencyKeyConflict     an upload's key clashes with the keys of earlier bids
    │   └── InvalidStep                transfer / application state machine refuses the step
    ├── PayloadTooLarge (413)
    ├── BulkUploadsBusy (503)           too many bulk uploads at once
    └── Unprocessable (422)
        ├── ValidationFailed            field-level (and row-level for uploads) messages
        ├── InsufficientCredit          with limit, in use and required amounts
        ├── InsufficientHolding         offer larger than the FTR held (OA 7.3.5(b))
        ├── LedgerRefused               an entry would leave a holding negative in some hour
        ├── NotSimultaneouslyFeasible   allocation/assignment breaks a constraint (OA 7.3.3(b))
        └── IdempotencyKeyReused        same key, different request body

``type`` of a problem is ``https://ftr-service.example/problems/<slug>``; its ``errors`` list holds
``{"field", "reason"}`` entries (plus ``"row"`` for uploads).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

PROBLEM_BASE = "https://ftr-service.example/problems/"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One field-level message: ``field`` is a dotted path (``body.mw``); ``row`` is 1-based for uploads."""

    field: str
    reason: str
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "reason": self.reason}
        if self.row is not None:
            out["row"] = self.row
        return out


class ServiceError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)
        self.extensions = dict(extensions or {})


class BadRequest(ServiceError):
    status = 400
    slug = "bad-request"
    title = "Bad request"


class UploadFormatError(BadRequest):
    slug = "upload-format"
    title = "The upload cannot be read"


class Unauthenticated(ServiceError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(ServiceError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for this role"


class NotFound(ServiceError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class InvalidStateTransition(Conflict):
    slug = "invalid-state-transition"
    title = "The auction is not in a state that allows this"


class BidWindowClosed(Conflict):
    slug = "bid-window-closed"
    title = "The bid and offer window is not open"


class AlreadyExists(Conflict):
    slug = "already-exists"
    title = "Already exists"


class JobAlreadyRunning(Conflict):
    slug = "job-already-running"
    title = "A clearing job for this auction is already queued or running"


class BidBookAltered(Conflict):
    slug = "bid-book-altered"
    title = "The bid book differs from the one sealed at window close"


class InvalidStep(Conflict):
    slug = "invalid-step"
    title = "The object's state does not allow this step"


class IdempotencyKeyConflict(Conflict):
    slug = "idempotency-key-conflict"
    title = "The idempotency key clashes with earlier requests"


class BulkUploadsBusy(ServiceError):
    status = 503
    slug = "bulk-uploads-busy"
    title = "Too many bulk uploads at once"


class PayloadTooLarge(ServiceError):
    status = 413
    slug = "payload-too-large"
    title = "The request is too large"


class Unprocessable(ServiceError):
    status = 422
    slug = "unprocessable"
    title = "The request cannot be processed"


class ValidationFailed(Unprocessable):
    slug = "validation-failed"
    title = "The request has invalid fields"


class InsufficientCredit(Unprocessable):
    slug = "insufficient-credit"
    title = "The credit limit would be exceeded"


class InsufficientHolding(Unprocessable):
    slug = "insufficient-holding"
    title = "The offer exceeds the FTR held"


class LedgerRefused(Unprocessable):
    slug = "ledger-refused"
    title = "The holdings ledger refuses the entries"


class NotSimultaneouslyFeasible(Unprocessable):
    slug = "not-simultaneously-feasible"
    title = "The FTRs are not simultaneously feasible with all outstanding FTRs"


class IdempotencyKeyReused(Unprocessable):
    slug = "idempotency-key-reused"
    title = "The idempotency key was already used with a different request"
