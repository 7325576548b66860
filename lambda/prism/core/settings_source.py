"""Reading a pydantic-settings model from a given mapping (not only os.environ), and its errors
as sentences that name the variable. Knows nothing of Prism's own settings: the model does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotated_types import Ge, Le
from pydantic import AliasChoices, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, EnvSettingsSource
from pydantic_settings.sources.utils import parse_env_vars


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source, over the mapping given instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        self._env = env  # the base class reads it (via _load_env_vars) while it initialises
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._env, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def read[M: BaseSettings](model: type[M], env: Mapping[str, str]) -> M:
    """`model` from the variables in `env`; SettingsError naming each bad one otherwise. The
    model's only source must be its init arguments (see Settings.settings_customise_sources)."""
    try:
        return model(**MappingSource(model, env)())
    except ValidationError as exc:
        messages = (explain(model, error) for error in exc.errors(include_url=False))
        raise SettingsError("; ".join(m for m in messages if m)) from None


def env_name(model: type[BaseSettings], name: str) -> str:
    """The variable field `name` is read from: its first alias, else <env_prefix><NAME>."""
    alias = model.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    if isinstance(alias, str):
        return alias
    return f"{model.model_config.get('env_prefix', '')}{name.upper()}"


def bounds(field: FieldInfo) -> tuple[int, int] | None:
    """An integer setting's inclusive (lowest, highest), from its Field(ge=..., le=...)."""
    lo = next((m.ge for m in field.metadata if isinstance(m, Ge)), None)
    hi = next((m.le for m in field.metadata if isinstance(m, Le)), None)
    return None if lo is None or hi is None else (int(lo), int(hi))  # type: ignore[call-overload]


def extra(field: FieldInfo) -> dict[str, Any]:
    """The field's json_schema_extra (where a setting keeps its stack key)."""
    value = field.json_schema_extra
    return value if isinstance(value, dict) else {}


def explain(model: type[BaseSettings], error: ErrorDetails) -> str | None:
    """One pydantic error as the sentence start-up prints: "<VAR> must be ..., got ..."."""
    kind, got, loc = error["type"], error["input"], error["loc"]
    ctx = error.get("ctx", {})
    if kind == "default_factory_not_called":  # only follows another error, reported already
        return None
    if not loc:  # a rule across settings: its message names the variables
        return str(ctx.get("error", error["msg"]))
    name = next(n for n in model.model_fields if loc[0] in (n, env_name(model, n)))
    var, field = env_name(model, name), model.model_fields[name]
    if kind == "missing":
        return f"{var} is required: {field.description}"
    if kind == "value_error":
        reason = str(ctx["error"])
        return f"{var} {reason}" if reason.startswith("must ") else f"{var}: {reason}"
    if kind in ("greater_than_equal", "less_than_equal") and (span := bounds(field)):
        return f"{var} must be between {span[0]} and {span[1]}, got {got}"
    if kind.startswith("int_"):
        return f"{var} must be an integer, got {got!r}"
    if kind == "literal_error":
        return f"{var} must be {ctx['expected']}, got {got!r}"
    if kind == "bool_parsing":
        return f"{var} must be 'true' or 'false', got {got!r}"
    return f"{var}: {error['msg']}, got {got!r}"
