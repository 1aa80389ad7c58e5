"""Spec configs: key-naming errors and fingerprints."""

from __future__ import annotations

import dataclasses

import pytest

from curation.config import build_config, fingerprint
from curation.exceptions import SpecError


@dataclasses.dataclass(frozen=True)
class Inner:
    words: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Outer:
    threshold: float = 0.8
    mode: str = "tag"
    inner: Inner = dataclasses.field(default_factory=Inner)
    limit: int | None = None


def test_nested_values_are_built_and_lists_become_tuples():
    config = build_config(Outer, {"threshold": 1, "inner": {"words": ["a", "b"]}}, "pii")
    assert config == Outer(threshold=1.0, inner=Inner(words=("a", "b")))


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"treshold": 0.5}, "pii.treshold"),
        ({"threshold": "high"}, "pii.threshold"),
        ({"inner": {"words": "a"}}, "pii.inner.words"),
        ({"limit": True}, "pii.limit"),
    ],
)
def test_errors_name_the_offending_key(data, key):
    with pytest.raises(SpecError) as error:
        build_config(Outer, data, "pii")
    assert error.value.key == key


def test_fingerprint_changes_with_any_field():
    assert fingerprint(Outer()) == fingerprint(Outer())
    assert fingerprint(Outer()) != fingerprint(Outer(mode="mask"))
