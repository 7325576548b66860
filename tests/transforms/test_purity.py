"""prism.transforms stays pure: standard library and itself only, so the edge function's rules
can be read beside it and apps can import the signing helper without Pillow or boto3."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import prism.transforms

PACKAGE = Path(prism.transforms.__file__).parent


def test_imports_only_the_standard_library_and_itself() -> None:
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or name.startswith("prism.transforms"), (
                    f"{path.name} imports {name}"
                )
