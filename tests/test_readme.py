"""The README documents the contract users configure Prism through."""

from pathlib import Path

from prism.core.settings_table import ENV_VARS

README = Path(__file__).resolve().parent.parent / "README.md"


def section(name: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"<!-- section:{name}")
    return text[start : text.index(f"<!-- /section:{name}", start)]


def test_every_environment_variable_is_documented():
    documented = section("configuration")
    missing = [name for name in ENV_VARS if f"`{name}`" not in documented]
    assert not missing, f"README configuration section lacks {missing}"


def test_quickstart_opens_with_the_two_commands():
    quickstart = section("quickstart")
    first_block = quickstart.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["uv run prism serve", "uv run pytest"]
