"""Frozen stage configs built from spec mappings, with key-naming errors and fingerprints.

Every stage's config is a frozen dataclass. `build_config` turns a YAML/TOML mapping into one,
rejecting unknown keys and wrong types with the dotted key path, so a spec error always says
exactly where to look. `fingerprint` hashes the fields so a version can say how it was made.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from curation.exceptions import SpecError

T = TypeVar("T")


def fingerprint(config: Any) -> str:
    """Stable 16-hex hash of a config dataclass (or any JSON-able value).

    Examples
    --------
    >>> @dataclasses.dataclass(frozen=True)
    ... class C:
    ...     threshold: float = 0.8
    >>> fingerprint(C()) == fingerprint(C(threshold=0.8))
    True
    """
    payload = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else config
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def build_config(cls: type[T], data: Mapping[str, Any] | None, where: str) -> T:
    """Build dataclass `cls` from `data`, naming the offending key on any error.

    Nested dataclasses, tuples/lists of scalars, dicts and optional fields are supported;
    lists in YAML become tuples so configs stay hashable.

    Examples
    --------
    >>> @dataclasses.dataclass(frozen=True)
    ... class Dedup:
    ...     threshold: float = 0.8
    ...     ngram: int = 5
    >>> build_config(Dedup, {"threshold": 0.7}, "dedup")
    Dedup(threshold=0.7, ngram=5)
    >>> build_config(Dedup, {"treshold": 0.7}, "dedup")
    Traceback (most recent call last):
    ...
    curation.exceptions.SpecError: dedup.treshold: unknown key; expected one of: ngram, threshold
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise SpecError(where, f"expected a mapping, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            expected = ", ".join(sorted(fields))
            raise SpecError(f"{where}.{key}", f"unknown key; expected one of: {expected}")
        kwargs[key] = _coerce(value, hints[key], f"{where}.{key}")
    for name, field in fields.items():
        if (
            name not in kwargs
            and field.default is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING
        ):
            raise SpecError(f"{where}.{name}", "required key is missing")
    try:
        config = cls(**kwargs)
    except SpecError:
        raise
    except (TypeError, ValueError) as error:
        raise SpecError(where, str(error)) from error
    return config


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except SpecError as error:
                errors.append(str(error))
        raise SpecError(where, f"invalid value {value!r}")
    if origin is typing.Literal:
        if value not in args:
            raise SpecError(where, f"must be one of {', '.join(map(repr, args))}, got {value!r}")
        return value
    if dataclasses.is_dataclass(hint):
        return build_config(hint, value, where)
    if origin in (tuple, list):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise SpecError(where, f"expected a list, got {type(value).__name__}")
        item_hint = args[0] if args else Any
        return tuple(_coerce(v, item_hint, f"{where}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping) or hint is dict:
        if not isinstance(value, Mapping):
            raise SpecError(where, f"expected a mapping, got {type(value).__name__}")
        value_hint = args[1] if len(args) == 2 else Any
        return {str(k): _coerce(v, value_hint, f"{where}.{k}") for k, v in value.items()}
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(where, f"expected a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(where, f"expected an integer, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise SpecError(where, f"expected true or false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise SpecError(where, f"expected a string, got {value!r}")
        return value
    return value
