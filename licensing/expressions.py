"""SPDX license expressions: parse, validate, normalize, categorize and evaluate.

Built on `license-expression` and the ScanCode license index bundled with it, so ids, aliases
and categories come from one maintained source rather than a hand-written table. Two local
decisions sit on top, each documented where it is made:

- `LicenseRef-PublicDomain` is a built-in reference (category public_domain). The bundled index
  lists it as an alias of `LicenseRef-scancode-public-domain`; we keep the spelling the spec and
  the manifests use instead of renaming it, and spec-declared `LicenseRef-*` ids are kept as
  written the same way.
- A few categories are overridden where the index's category would let a policy pass a license
  whose terms a notice leaves undetermined (`CATEGORY_OVERRIDES`).

`NOASSERTION` means unknown; `NONE` means "no license granted" and counts as proprietary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from curation.exceptions import SpecError
from licensing.exceptions import LicenseExpressionError

NOASSERTION = "NOASSERTION"
NONE = "NONE"
PUBLIC_DOMAIN_REF = "LicenseRef-PublicDomain"


class Category(StrEnum):
    """License categories a policy can name, ordered from least to most restrictive."""

    PUBLIC_DOMAIN = "public_domain"
    PERMISSIVE = "permissive"
    # the organization's own documents (a declared LicenseRef): its owner may use them at will
    INTERNAL = "internal"
    WEAK_COPYLEFT = "weak_copyleft"
    COPYLEFT = "copyleft"
    NON_COMMERCIAL = "non_commercial"
    PROPRIETARY = "proprietary"
    UNKNOWN = "unknown"


CATEGORY_ORDER: dict[Category, int] = {c: i for i, c in enumerate(Category)}

# Which copy of a duplicated text dedup keeps under `representative: most_permissive`, most
# permissive first. It ranks what a license grants to whoever holds the curated set, which
# differs from CATEGORY_ORDER (how restrictive an expression's branches are for the policy,
# where the owner's own `internal` documents are as usable as permissive ones):
# - public_domain, permissive, weak_copyleft, copyleft: public grants, by growing conditions
#   (none; notices; share-alike of modified files; share-alike of the whole adaptation). Every
#   recipient of the set, or of a model trained on it, holds the same rights.
# - internal: every use inside the organization, none outside it. When an openly licensed copy
#   of the same text exists, keeping it instead adds no confidentiality restriction to the set.
# - non_commercial: some rights for anyone, but not commercial use, which an organization's
#   own model usually is; internal documents at least allow that use, so they rank before.
# - proprietary: no general grant; only what a contract says. Still more than unknown.
# - unknown: nothing established.
# A category outside `Category` ranks as unknown; a missing one (no license stage ran) after it.
PERMISSIVENESS: tuple[Category, ...] = (
    Category.PUBLIC_DOMAIN,
    Category.PERMISSIVE,
    Category.WEAK_COPYLEFT,
    Category.COPYLEFT,
    Category.INTERNAL,
    Category.NON_COMMERCIAL,
    Category.PROPRIETARY,
    Category.UNKNOWN,
)
PERMISSIVENESS_RANK: dict[str, int] = {c.value: i for i, c in enumerate(PERMISSIVENESS)}
MISSING_PERMISSIVENESS = len(PERMISSIVENESS)


def permissiveness_rank(category: str | None) -> int:
    """Rank of a license category under `PERMISSIVENESS`: 0 is the most permissive.

    Category names are matched case-insensitively; unrecognized ones rank as unknown, a
    missing one after unknown.

    Examples
    --------
    >>> [permissiveness_rank(c) for c in ("public_domain", "internal", "proprietary", None)]
    [0, 4, 6, 8]
    >>> permissiveness_rank("Copyleft") == permissiveness_rank(Category.COPYLEFT)
    True
    """
    if category is None:
        return MISSING_PERMISSIVENESS
    return PERMISSIVENESS_RANK.get(str(category).lower(), PERMISSIVENESS_RANK[Category.UNKNOWN])


# ScanCode index category -> ours. "Free Restricted" licenses restrict the field of use (many
# forbid commercial use); "Source-available"/"Commercial"/"Proprietary Free" grant no general
# right to reuse; "Unstated License", "Patent License" and "CLA" say nothing about the text.
_SCANCODE_CATEGORIES: dict[str, Category] = {
    "Public Domain": Category.PUBLIC_DOMAIN,
    "Permissive": Category.PERMISSIVE,
    "Copyleft Limited": Category.WEAK_COPYLEFT,
    "Copyleft": Category.COPYLEFT,
    "Free Restricted": Category.NON_COMMERCIAL,
    "Source-available": Category.PROPRIETARY,
    "Commercial": Category.PROPRIETARY,
    "Proprietary Free": Category.PROPRIETARY,
    "Unstated License": Category.UNKNOWN,
    "Patent License": Category.UNKNOWN,
    "CLA": Category.UNKNOWN,
}

# The index calls OPUBL-1.0 permissive, but the Open Publication License has optional clauses
# (VI.A no substantively modified versions, VI.B no commercial book distribution) that a notice
# may or may not elect; a notice that does not say which cannot be assumed to allow commercial
# reuse, so it is held to non_commercial. CC "NC" variants are non_commercial whatever the index
# says ("Source-available" there), and CC "SA" variants are copyleft (the index says "Copyleft
# Limited"): ShareAlike binds every adaptation of the whole work, not one file as LGPL or MPL do.
CATEGORY_OVERRIDES: dict[str, Category] = {
    "OPUBL-1.0": Category.NON_COMMERCIAL,
}

BUILTIN_REFS: dict[str, Category] = {PUBLIC_DOMAIN_REF: Category.PUBLIC_DOMAIN}


@dataclass(frozen=True)
class _Entry:
    key: str
    category: Category
    is_exception: bool


@lru_cache(maxsize=1)
def _index() -> dict[str, _Entry]:
    """Lower-cased SPDX id or alias -> canonical entry, from the bundled ScanCode index."""
    from license_expression import get_license_index

    entries: dict[str, _Entry] = {}
    for item in get_license_index():
        key = item.get("spdx_license_key")
        if not key:
            continue
        category = _SCANCODE_CATEGORIES.get(item.get("category") or "", Category.UNKNOWN)
        if key.startswith("CC-BY-NC"):
            category = Category.NON_COMMERCIAL
        elif key.startswith("CC-BY-SA"):
            category = Category.COPYLEFT
        category = CATEGORY_OVERRIDES.get(key, category)
        entry = _Entry(key, category, bool(item.get("is_exception")))
        for name in (key, *(item.get("other_spdx_license_keys") or ())):
            entries.setdefault(name.lower(), entry)
        entries[key.lower()] = entry
    return entries


@lru_cache(maxsize=16)
def _licensing(refs: frozenset[str]) -> Any:
    """A Licensing whose aliases never swallow the references the caller declares."""
    from license_expression import build_spdx_licensing, get_license_index

    reserved = {r.lower() for r in refs}
    index = []
    for item in get_license_index():
        aliases = [
            a for a in item.get("other_spdx_license_keys") or () if a.lower() not in reserved
        ]
        index.append({**item, "other_spdx_license_keys": aliases})
    return build_spdx_licensing(index)


def _refs(declared_refs: Mapping[str, str] | Iterable[str] | None) -> frozenset[str]:
    return frozenset(BUILTIN_REFS) | frozenset(declared_refs or ())


@dataclass(frozen=True)
class Parsed:
    """A parsed expression: the normalized string, its tree and the ids it names."""

    expression: str
    tree: Any
    license_ids: tuple[str, ...]
    unknown_ids: tuple[str, ...]


@lru_cache(maxsize=4096)
def _parse(expression: str, refs: frozenset[str]) -> Parsed:
    from license_expression import ExpressionError

    text = " ".join(expression.split())
    if not text:
        raise LicenseExpressionError("empty license expression: give an SPDX id or NOASSERTION")
    licensing = _licensing(refs)
    try:
        tree = licensing.parse(text, validate=False, strict=True)
    except ExpressionError as error:
        raise LicenseExpressionError(f"invalid SPDX expression {text!r}: {error}") from error
    ref_spelling = {r.lower(): r for r in refs} | {NOASSERTION.lower(): NOASSERTION, "none": NONE}
    index = _index()
    ids: list[str] = []
    unknown: list[str] = []
    for symbol in licensing.license_symbols(tree, unique=True, decompose=True):
        key = symbol.key
        if key.lower() in ref_spelling:
            # a fresh symbol of this parse (refs are never in the licensing's table): respell it
            key = symbol.key = ref_spelling[key.lower()]
        elif key.lower() in index:
            key = index[key.lower()].key
        else:
            unknown.append(key)
        ids.append(key)
    return Parsed(tree.render(), tree, tuple(ids), tuple(unknown))


def parse_expression(
    expression: str, *, declared_refs: Mapping[str, str] | Iterable[str] | None = None
) -> Parsed:
    """Parse `expression`, raising LicenseExpressionError on bad syntax or an unknown id.

    Ids are matched case-insensitively and renamed to their SPDX spelling; `LicenseRef-*` ids
    are accepted when built in or declared.

    Examples
    --------
    >>> parse_expression("mit or apache-2.0").expression
    'MIT OR Apache-2.0'
    >>> parse_expression("LicenseRef-Acme", declared_refs={"LicenseRef-Acme": "proprietary"}).license_ids
    ('LicenseRef-Acme',)
    """
    parsed = _parse(expression, _refs(declared_refs))
    if parsed.unknown_ids:
        hint = (
            "declare it under license.declared_refs with its category"
            if any(i.lower().startswith("licenseref-") for i in parsed.unknown_ids)
            else "use an id from https://spdx.org/licenses/ or a declared LicenseRef-"
        )
        raise LicenseExpressionError(
            f"unknown license id(s) {', '.join(parsed.unknown_ids)} in {expression!r}: {hint}"
        )
    return parsed


def normalize_spdx(
    expression: str, *, declared_refs: Mapping[str, str] | Iterable[str] | None = None
) -> str:
    """The canonical spelling of a valid expression.

    Examples
    --------
    >>> normalize_spdx("licenseref-publicdomain  or cc0-1.0")
    'LicenseRef-PublicDomain OR CC0-1.0'
    >>> normalize_spdx("GPL-2.0+")
    'GPL-2.0-or-later'
    """
    return parse_expression(expression, declared_refs=declared_refs).expression


def try_normalize(
    expression: str | None, *, declared_refs: Mapping[str, str] | Iterable[str] | None = None
) -> str | None:
    """`normalize_spdx`, or None when `expression` is empty or invalid (for found evidence)."""
    if expression is None or not expression.strip():
        return None
    try:
        return normalize_spdx(expression, declared_refs=declared_refs)
    except LicenseExpressionError:
        return None


def validate_spdx(
    expression: Any, where: str, *, declared_refs: Mapping[str, str] | Iterable[str] | None = None
) -> str:
    """Normalize an expression from a spec, raising SpecError naming `where` when invalid.

    Examples
    --------
    >>> validate_spdx("Apache-2.0", "sources[0].license")
    'Apache-2.0'
    >>> validate_spdx("Apache-3.0", "sources[0].license")
    Traceback (most recent call last):
    ...
    curation.exceptions.SpecError: sources[0].license: unknown license id(s) Apache-3.0 in 'Apache-3.0': use an id from https://spdx.org/licenses/ or a declared LicenseRef-
    """
    if not isinstance(expression, str):
        raise SpecError(where, f"expected an SPDX expression string, got {expression!r}")
    try:
        return normalize_spdx(expression, declared_refs=declared_refs)
    except LicenseExpressionError as error:
        raise SpecError(where, str(error)) from error


def license_category(
    license_id: str, *, declared_refs: Mapping[str, str] | None = None
) -> Category:
    """Category of one license id (not an expression); unknown ids are `unknown`.

    Examples
    --------
    >>> license_category("CC-BY-NC-4.0")
    <Category.NON_COMMERCIAL: 'non_commercial'>
    """
    if declared_refs and license_id in declared_refs:
        return Category(declared_refs[license_id])
    if license_id in BUILTIN_REFS:
        return BUILTIN_REFS[license_id]
    if license_id == NOASSERTION:
        return Category.UNKNOWN
    if license_id == NONE:
        return Category.PROPRIETARY
    entry = _index().get(license_id.lower())
    return entry.category if entry else Category.UNKNOWN


def evaluate(tree: Any, leaf: Callable[[str], Any], *, any_of: Callable, all_of: Callable) -> Any:
    """Fold an expression tree: `leaf(id)` on licenses, `any_of` on OR, `all_of` on AND.

    `WITH` is decided by its license: an exception only ever adds permissions.
    """
    from license_expression import AND, OR, LicenseWithExceptionSymbol

    if isinstance(tree, LicenseWithExceptionSymbol):
        return leaf(tree.license_symbol.key)
    if isinstance(tree, OR):
        return any_of([evaluate(a, leaf, any_of=any_of, all_of=all_of) for a in tree.args])
    if isinstance(tree, AND):
        return all_of([evaluate(a, leaf, any_of=any_of, all_of=all_of) for a in tree.args])
    return leaf(tree.key)


def expression_category(
    expression: str, *, declared_refs: Mapping[str, str] | None = None
) -> Category:
    """One category for an expression: OR takes its least, AND its most restrictive branch.

    Examples
    --------
    >>> expression_category("LicenseRef-PublicDomain OR CC0-1.0")
    <Category.PUBLIC_DOMAIN: 'public_domain'>
    >>> expression_category("MIT AND GPL-3.0-only")
    <Category.COPYLEFT: 'copyleft'>
    >>> expression_category("NOASSERTION")
    <Category.UNKNOWN: 'unknown'>
    """
    try:
        parsed = parse_expression(expression, declared_refs=declared_refs)
    except LicenseExpressionError:
        return Category.UNKNOWN

    def order(c: Category) -> int:
        return CATEGORY_ORDER[c]

    return evaluate(
        parsed.tree,
        lambda key: license_category(key, declared_refs=declared_refs),
        any_of=lambda cs: min(cs, key=order),
        all_of=lambda cs: max(cs, key=order),
    )


# Licenses whose terms require crediting the author or keeping a notice in what is shared.
_ATTRIBUTION_PREFIXES = ("CC-BY", "Apache-", "MIT", "BSD-", "OPUBL-", "ODC-By", "CDLA-")


def requires_attribution(expression: str) -> bool:
    """Whether any license the expression names asks for attribution or notice-keeping.

    Examples
    --------
    >>> requires_attribution("CC-BY-4.0"), requires_attribution("CC0-1.0")
    (True, False)
    """
    try:
        ids = _parse(expression, _refs(None)).license_ids
    except LicenseExpressionError:
        return False
    return any(i.startswith(_ATTRIBUTION_PREFIXES) for i in ids)
