"""Verify the whole audit record: the chains, their seals, signed checkpoints, and covered results.

:func:`verify_audit` makes one pass over the stored chain (:func:`app.audit_chain.verify_chain`)
and then checks what the chain alone cannot:

* **Truncation and rewritten history.** The chain is checked against a head ``(seq, hash)`` held
  outside the database when one is given (``ftr audit verify --head SEQ:HASH``, ``GET
  /api/v1/audit-log/verify?head=SEQ:HASH``), else against the stored head. Every signed checkpoint
  (:mod:`app.audit.signing`) must name an entry that is still in the chain with the signed hash, and
  its Ed25519 signature must verify under the service's public key; from the first checkpoint on,
  every auction state change and settlement run must have one. Deleting the newest entries and
  moving the head, or rewriting an entry and recomputing every later hash and the head, leaves a
  checkpoint that no longer matches, and a new one cannot be signed without the key.
* **Results.** The last ``clearing.run`` or ``auction.posted`` link of each auction records the
  hash of its stored fills, nodal prices and binding constraints
  (:func:`app.clearing.results_seal.clearing_results_hash`); it is recomputed from the tables, as
  is the ``output_hash`` of each run in a ``settlement.run`` link
  (:func:`app.settlement.output_seal.settlement_output_hash`). A run's per-FTR-hour detail file
  must still hash to the ``detail_sha256`` of its link (and of its row)
  (:func:`app.settlement.output_seal.detail_file_problem`).

* **Sub-chains.** Each participant's chain of bids and offers is walked against its stored head,
  and every ``audit.sealed`` link of the global chain must still match the sub-chain links it
  sealed (:func:`_verify_sub_chains`).

The first problem found is reported, as a :class:`app.audit_chain.ChainVerdict` (``chain`` names
the sub-chain when the problem is in one; ``first_bad_seq`` is then that chain's seq).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session

from app.audit.repository import AuditRepository
from app.audit.service import CHECKPOINT_ACTIONS, SEAL_ACTION, stored_entries, stored_sub_entries
from app.audit.signing import checkpoint_signed, key_id, signing_key
from app.audit_chain import AuditEntry, Break, ChainVerdict, verify_chain
from app.clearing.results_seal import clearing_results_hash
from app.errors import FieldError, ValidationFailed
from app.settlement.output_seal import detail_file_problem, settlement_output_hash

RESULTS_ACTIONS = ("clearing.run", "auction.posted")
_HEAD = re.compile(r"^([0-9]{1,18}):([0-9a-f]{64})$")


def parse_head(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` (a seq and a 64-hex-digit sha256) -> ``(seq, hash)``."""
    match = _HEAD.match(text.strip().lower())
    if match is None:
        raise ValidationFailed(
            f"{text!r} is not a head: expected SEQ:HASH (a number, a colon, 64 hex digits)",
            errors=[FieldError("head", "expected SEQ:HASH")],
        )
    return int(match.group(1)), match.group(2)


def verify_audit(
    session: Session, *, head: tuple[int, str] | None = None, public_key: Ed25519PublicKey | None = None
) -> ChainVerdict:
    """The chain, its checkpoints (signatures under ``public_key``, default the service's key) and results."""
    repo = AuditRepository(session)
    stored_head = repo.head()
    wanted = head if head is not None else (stored_head.seq, stored_head.hash) if stored_head else None
    checkpoints = repo.checkpoints()
    watched = {c.seq for c in checkpoints}
    hashes: dict[int, str] = {}
    state_changes: list[int] = []
    results: dict[int, tuple[int, str]] = {}
    seals: list[tuple[int, Mapping[str, Any]]] = []
    outputs: list[tuple[int, int, str]] = []
    details: dict[int, tuple[int, str]] = {}

    def watch(entries: Iterable[AuditEntry]) -> Iterator[AuditEntry]:
        for e in entries:
            if e.seq in watched:
                hashes[e.seq] = e.hash
            if e.action in CHECKPOINT_ACTIONS:
                state_changes.append(e.seq)
            if e.action == SEAL_ACTION and isinstance(e.payload, Mapping):
                heads = e.payload.get("heads")
                seals.append((e.seq, heads if isinstance(heads, Mapping) else {}))
            payload = e.payload
            if e.action in RESULTS_ACTIONS and isinstance(payload, Mapping) and "results_hash" in payload:
                results[int(payload["auction_id"])] = (e.seq, str(payload["results_hash"]))
            if e.action == "settlement.run" and isinstance(payload, Mapping):
                for run in payload.get("runs") or []:
                    if isinstance(run, Mapping) and "output_hash" in run:
                        outputs.append((e.seq, int(run["run_id"]), str(run["output_hash"])))
                        if "detail_sha256" in run:
                            details[int(run["run_id"])] = (e.seq, str(run["detail_sha256"]))
            yield e

    verdict = verify_chain(watch(stored_entries(session)), wanted)
    if not verdict.ok:
        return verdict
    checked = verdict.checked
    if head is None and stored_head is None and checked > 0:
        return ChainVerdict(False, checked, checked, None, "the audit head record is missing")
    sub_verdict = _verify_sub_chains(session, repo, seals, checked)
    if sub_verdict is not None:
        return sub_verdict
    if public_key is None:
        private_key = signing_key(session)
        public_key = private_key.public_key() if private_key is not None else None
    for c in checkpoints:
        if c.seq > checked:
            return ChainVerdict(
                False,
                checked,
                checked + 1,
                Break.REMOVED,
                f"entry {c.seq} was signed at a checkpoint but the chain ends at entry {checked}",
            )
        if hashes.get(c.seq) != c.hash:
            return ChainVerdict(
                False,
                checked,
                c.seq,
                Break.UNSIGNED,
                f"entry {c.seq} is not the entry signed at its checkpoint",
            )
        if public_key is not None and (
            c.key_id != key_id(public_key) or not checkpoint_signed(public_key, c.seq, c.hash, c.signature)
        ):
            return ChainVerdict(
                False,
                checked,
                c.seq,
                Break.UNSIGNED,
                f"the checkpoint of entry {c.seq} is not signed by key {key_id(public_key)}",
            )
    if public_key is not None and checkpoints:
        missing = [s for s in state_changes if s >= checkpoints[0].seq and s not in watched]
        if missing:
            return ChainVerdict(
                False, checked, missing[0], Break.UNSIGNED, f"the checkpoint of entry {missing[0]} is missing"
            )
    for auction_id, (seq, recorded) in sorted(results.items(), key=lambda item: item[1][0]):
        if clearing_results_hash(session, auction_id) != recorded:
            return ChainVerdict(
                False,
                checked,
                seq,
                Break.RESULTS_CHANGED,
                f"the stored clearing results of auction {auction_id} no longer match entry {seq}",
            )
    for seq, run_id, recorded in outputs:
        if settlement_output_hash(session, run_id) != recorded:
            return ChainVerdict(
                False,
                checked,
                seq,
                Break.RESULTS_CHANGED,
                f"the stored output of settlement run {run_id} no longer matches entry {seq}",
            )
        problem = detail_file_problem(session, run_id, details.get(run_id, (seq, None))[1])
        if problem is not None:
            return ChainVerdict(False, checked, seq, Break.RESULTS_CHANGED, f"{problem} (entry {seq})")
    return verdict


def verify_audit_text(session: Session, head: str | None) -> ChainVerdict:
    """:func:`verify_audit` with the head as sent (``SEQ:HASH``, or ``None`` for the stored head)."""
    return verify_audit(session, head=parse_head(head) if head is not None else None)


def _verify_sub_chains(
    session: Session, repo: AuditRepository, seals: list[tuple[int, Mapping[str, Any]]], checked: int
) -> ChainVerdict | None:
    """Each sub-chain against its stored head, then every seal against the sub-chains (None: intact).

    A seal in the global chain records ``{chain: {seq, hash}}``; the sub-chain must still hold that
    link with that hash, and a chain's sealed seq never goes back. So a sealed link cannot be
    changed, inserted, deleted or reordered (even with every later hash and the sub-chain's head
    recomputed) without a seal, which the global chain and its checkpoints protect, failing.
    """
    wanted: dict[str, set[int]] = {}
    for _, heads in seals:
        for chain, head in heads.items():
            if isinstance(head, Mapping):
                wanted.setdefault(chain, set()).add(int(head.get("seq", 0)))
    found: dict[str, dict[int, str]] = {}
    for chain in sorted({*repo.sub_chains(), *wanted}):
        marks = wanted.get(chain, set())
        hashes = found.setdefault(chain, {})

        def watch(
            entries: Iterable[AuditEntry], marks: set[int] = marks, hashes: dict[int, str] = hashes
        ) -> Iterator[AuditEntry]:
            for e in entries:
                if e.seq in marks:
                    hashes[e.seq] = e.hash
                yield e

        stored = repo.sub_head(chain)
        head = (stored.seq, stored.hash) if stored is not None else None
        verdict = verify_chain(watch(stored_sub_entries(session, chain)), head)
        if not verdict.ok:
            return ChainVerdict(
                False,
                checked,
                verdict.first_bad_seq,
                verdict.problem,
                f"{chain}: {verdict.detail}",
                chain=chain,
            )
        if stored is None and verdict.checked > 0:
            return ChainVerdict(
                False, checked, verdict.checked, Break.REMOVED, f"{chain}: its head is missing", chain=chain
            )
    last: dict[str, int] = {}
    for seal_seq, heads in seals:
        for chain, head in sorted(heads.items()):
            seq = int(head.get("seq", 0)) if isinstance(head, Mapping) else 0
            sealed_hash = head.get("hash") if isinstance(head, Mapping) else None
            if seq < last.get(chain, 0):
                return ChainVerdict(
                    False,
                    checked,
                    seal_seq,
                    Break.INSERTED,
                    f"entry {seal_seq} seals {chain} at entry {seq}, behind an earlier seal",
                    chain=chain,
                )
            last[chain] = seq
            actual = found.get(chain, {}).get(seq)
            if actual != sealed_hash:
                problem = Break.REMOVED if actual is None else Break.REPLACED
                return ChainVerdict(
                    False,
                    checked,
                    seq,
                    problem,
                    f"{chain}: entry {seq} is not the one sealed by global entry {seal_seq}",
                    chain=chain,
                )
    return None
