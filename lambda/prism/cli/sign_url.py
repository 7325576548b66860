"""`prism sign-url`: a signed transform URL, for scripts and for checking an app's own signer.

The key comes from the environment (PRISM_TRANSFORM_SIGNING_KEYS, first key), never from the
command line, where it would land in shell history and process listings.
"""

from __future__ import annotations

import argparse
import os
import sys

from prism.transforms.params import TransformError
from prism.transforms.signing import sign_url


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sign = commands.add_parser(
        "sign-url",
        help="print a signed transform URL (key from PRISM_TRANSFORM_SIGNING_KEYS)",
    )
    sign.add_argument("image_id", metavar="ID", help="the image id (32 hex characters)")
    sign.add_argument("--base-url", default="http://127.0.0.1:8080", metavar="URL")
    sign.add_argument("--width", type=int)
    sign.add_argument("--height", type=int)
    sign.add_argument("--fit", default="contain", choices=("contain", "cover"))
    sign.add_argument("--format", choices=("auto", "avif", "jpeg", "png", "webp"))
    sign.add_argument("--quality", type=int)


def run(args: argparse.Namespace) -> int:
    keys = [k.strip() for k in os.environ.get("PRISM_TRANSFORM_SIGNING_KEYS", "").split(",")]
    key = next((k for k in keys if k), None)
    if key is None:
        print(
            "prism sign-url: set PRISM_TRANSFORM_SIGNING_KEYS to the signing key", file=sys.stderr
        )
        return 2
    try:
        url = sign_url(
            args.base_url,
            args.image_id,
            key,
            width=args.width,
            height=args.height,
            fit=args.fit,
            format=args.format,
            quality=args.quality,
        )
    except TransformError as exc:
        print(f"prism sign-url: {exc.param}: {exc.detail}", file=sys.stderr)
        return 2
    print(url)
    return 0
