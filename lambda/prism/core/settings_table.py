"""The settings table: every PRISM_* variable the app reads, as a read-only view of the fields of
prism.core.settings.Settings, which declare them (one declaration: the model).

Each row: the variable, the Settings field it fills, its default, its bounds (an integer's
Field(ge=..., le=...)), its help (the field's description) and the stack's `prism:<key>` when
`pulumi config` sets it (json_schema_extra={"stack_key": ...}).
tests/core/test_settings_table.py checks the stack's config parser, the function's environment
and the README's configuration table against these rows.

How to add a setting: add a field to Settings (type, default, Field(ge=..., le=...) for an
integer, the help as its description; a parser from prism.core.setting_values when pydantic
has no type for it). If the stack may set it, give it a stack key and add the key to the
stack's config parser and the function's environment; document it in the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import PydanticUndefined

from prism.core.settings import Settings
from prism.core.settings_source import bounds, env_name, extra


@dataclass(frozen=True, slots=True)
class Setting:
    """One PRISM_* variable."""

    env: str
    field: str  # attribute of Settings
    default: Any  # as declared; None when there is none (or it depends on the storage mode)
    help: str
    stack_key: str | None = None  # `prism:<key>` when the stack's config sets it
    bounds: tuple[int, int] | None = None  # inclusive, for an integer
    required_for: str | None = None  # the PRISM_STORAGE that needs it set


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(
        env=env_name(Settings, name),
        field=name,
        default=None if field.default is PydanticUndefined else field.default,
        help=field.description or "",
        stack_key=extra(field).get("stack_key"),
        bounds=bounds(field),
        required_for=extra(field).get("required_for"),
    )
    for name, field in Settings.model_fields.items()
)
BY_ENV: dict[str, Setting] = {s.env: s for s in SETTINGS}
#: Every variable the app reads, with what it means. On Lambda the stack sets the
#: REQUIRED_FOR_S3 ones and may pin any of the others; it must set nothing outside this list
#: (besides the Lambda Web Adapter's and Powertools' own variables).
ENV_VARS: dict[str, str] = {s.env: s.help for s in SETTINGS}
REQUIRED_FOR_S3 = tuple(s.env for s in SETTINGS if s.required_for == "s3")
