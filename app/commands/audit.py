"""``ftr audit verify``: walk the audit chain in ``DATABASE_URL`` and name the first broken link.

Exit code 0 when every link hashes and chains to its predecessor and the last one is the stored
head; 1 (with the seq of the first altered, replaced, removed or inserted link) otherwise.
"""

from __future__ import annotations

import argparse
import sys

from app.audit.service import verify_stored_chain
from app.commands.runtime import command_engine
from app.db import transaction


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("audit", help="verify the hash-chained audit log")
    actions = parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="walk the chain and name the first altered or removed entry")
    verify.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    engine = command_engine()
    try:
        with transaction(engine) as session:
            verdict = verify_stored_chain(session)
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
