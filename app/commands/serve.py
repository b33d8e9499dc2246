"""``ftr serve``: run the HTTP service with uvicorn."""

from __future__ import annotations

import argparse

import uvicorn


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the HTTP service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.set_defaults(func=run)
    demo = subparsers.add_parser("demo", help="run the service with the bundled demo market")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port)
    return 0
