"""``ftr audit verify``: walk the audit chain in ``DATABASE_URL`` and name the first broken link.

Exit code 0 when every link hashes and chains to its predecessor, the last one is the head
(``--head SEQ:HASH``, a head held elsewhere, or else the stored one), every signed checkpoint
matches and verifies (``--public-key FILE``, or the key of ``FTR_AUDIT_SIGNING_KEY_FILE``) and the
stored clearing results hash as recorded; 1 (with the seq of the first bad link) otherwise.
``ftr audit keygen FILE`` writes a new Ed25519 checkpoint key (see :mod:`app.audit.signing`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.audit.signing import generate_key_file, key_id, load_public_key
from app.audit_verify import parse_head, verify_audit
from app.commands.runtime import command_engine, report
from app.db import transaction
from app.errors import ValidationFailed
from app.settings import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("audit", help="verify the hash-chained audit log")
    actions = parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="walk the chain and name the first altered or removed entry")
    verify.add_argument("--head", help="a head SEQ:HASH recorded outside the database")
    verify.add_argument("--public-key", type=Path, help="PEM file of the checkpoint key (public or private)")
    verify.set_defaults(func=run_verify)
    keygen = actions.add_parser("keygen", help="write a new Ed25519 key for signed checkpoints")
    keygen.add_argument("file", type=Path, help="where to write the private key (PEM, mode 0600)")
    keygen.set_defaults(func=run_keygen)


def run_keygen(args: argparse.Namespace) -> int:
    try:
        public_key = generate_key_file(args.file)
    except FileExistsError:
        print(f"error: {args.file} exists; not overwritten", file=sys.stderr)
        return 2
    print(f"key {key_id(public_key)} written to {args.file}; set FTR_AUDIT_SIGNING_KEY_FILE={args.file}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        head = parse_head(args.head) if args.head is not None else None
    except ValidationFailed as exc:
        return report(exc)
    key_file = args.public_key or settings.audit_signing_key_file
    public_key = load_public_key(key_file) if key_file is not None else None
    engine = command_engine(settings)
    try:
        with transaction(engine) as session:
            verdict = verify_audit(session, head=head, public_key=public_key)
    finally:
        engine.dispose()
    if verdict.ok:
        print(f"audit chain intact: {verdict.checked} entries")
        return 0
    problem = verdict.problem.value if verdict.problem is not None else "broken"
    print(
        f"audit chain BROKEN at entry {verdict.first_bad_seq} ({problem}): {verdict.detail}; "
        f"{verdict.checked} entries verified before it",
        file=sys.stderr,
    )
    return 1
