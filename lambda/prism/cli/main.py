"""The `prism` command: `prism process` (files on disk), `prism serve` (the app locally) and
`prism sign-url` (a signed transform URL) and `prism reprocess` (bring stored images up to date
with the specs)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prism", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    process = commands.add_parser("process", help="turn image files into variants on disk")
    process.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (recursive)")
    process.add_argument("--out", required=True, metavar="DIR", help="output directory")
    process.add_argument("--variants", metavar="FILE", help="variant specs as a JSON list")
    process.add_argument("--max-pixels", type=int, metavar="N", help="largest image in pixels")

    serve = commands.add_parser("serve", help="run the HTTP app locally with buckets on disk")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--data", default="prism-data", metavar="DIR", help="bucket directory")

    from prism.cli import sign_url

    sign_url.add_parser(commands)
    from prism.cli.reprocess import add_arguments as add_reprocess_arguments

    add_reprocess_arguments(
        commands.add_parser("reprocess", help="remake stored images after a change of specs")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Imported lazily: each command pulls in only what it needs.
    if args.command == "process":
        from prism.cli.process import run as run_process

        return run_process(args)
    if args.command == "sign-url":
        from prism.cli.sign_url import run as run_sign_url

        return run_sign_url(args)
    if args.command == "reprocess":
        from prism.cli.reprocess import run as run_reprocess

        return run_reprocess(args)
    from prism.cli.serve import run as run_serve

    return run_serve(args)
