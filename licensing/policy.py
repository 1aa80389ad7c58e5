"""The license policy of a dataset spec (its `license` section).

Rules for one license id, first match wins:

1. `deny` lists the id -> denied;  2. `allow` lists the id -> allowed;
3. its category is `unknown` (NOASSERTION, an undeclared LicenseRef, an id the index cannot
   place) -> unknown, handled by `unknown` below;
4. `deny_categories` lists its category -> denied;
5. the intended `use` forbids its category (`USE_FORBIDS`) -> denied;
6. `allow_categories` is given and does not list its category -> denied;
7. otherwise allowed.

Expressions combine per SPDX semantics: an `OR` passes when one branch passes, an `AND` needs
every branch, `WITH` follows its license. Unknown is a third value: it loses to an allowed
branch under OR and to a denied one under AND.

`unknown` decides what happens to documents whose license stays unknown: `quarantine`
(default: held back for a person to look at), `drop`, or `allow`, which is only accepted with
an `unknown_justification` that is recorded in the ledger of every document it lets through.

The default policy, an empty `license:` section, keeps every known license and quarantines
the unknown: right for a first look at a corpus, not for shipping a model. For commercial
training write, for example::

    license:
      use: commercial_training
      allow_categories: [public_domain, permissive]

Examples
--------
>>> from curation.config import build_config
>>> policy = build_config(LicensePolicy, {"use": "commercial_training",
...                                       "allow_categories": ["public_domain", "permissive"]}, "license")
>>> policy.allow_categories
('public_domain', 'permissive')
>>> build_config(LicensePolicy, {"unknown": "allow"}, "license")
Traceback (most recent call last):
...
curation.exceptions.SpecError: license: unknown: allow needs unknown_justification: say why documents of unknown license may be used (it is recorded in the ledger)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from curation.config import fingerprint
from curation.exceptions import SpecError
from licensing.expressions import Category, validate_spdx

Use = Literal["commercial_training", "internal_only", "research"]

# What each intended use rules out by category. Copyleft and share-alike terms bind what is
# distributed: a model shipped to customers may carry them, an internal one does not ship.
# Non-commercial licenses rule out any use by a company (internal use is still commercial
# use), except research. Proprietary means somebody else's; a company's own documents are
# declared as a LicenseRef of category `internal`, which no use rules out.
USE_FORBIDS: dict[str, frozenset[Category]] = {
    "commercial_training": frozenset(
        {Category.COPYLEFT, Category.NON_COMMERCIAL, Category.PROPRIETARY}
    ),
    "internal_only": frozenset({Category.NON_COMMERCIAL, Category.PROPRIETARY}),
    "research": frozenset({Category.PROPRIETARY}),
}

_CATEGORIES = ", ".join(c.value for c in Category)


@dataclass(frozen=True)
class LicensePolicy:
    """Which licenses may enter the dataset, for which use (the spec's `license` section)."""

    use: Use | None = None
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    allow_categories: tuple[str, ...] = ()
    deny_categories: tuple[str, ...] = ()
    declared_refs: dict[str, str] = field(default_factory=dict)
    unknown: Literal["quarantine", "drop", "allow"] = "quarantine"
    unknown_justification: str = ""

    def __post_init__(self) -> None:
        for key in ("allow_categories", "deny_categories"):
            for value in getattr(self, key):
                if value not in {c.value for c in Category}:
                    raise ValueError(
                        f"{key}: unknown category {value!r}; expected one of {_CATEGORIES}"
                    )
        for ref, category in self.declared_refs.items():
            if not ref.startswith("LicenseRef-"):
                raise ValueError(f"declared_refs.{ref}: only LicenseRef- ids can be declared")
            if category not in {c.value for c in Category}:
                raise ValueError(
                    f"declared_refs.{ref}: unknown category {category!r}; expected one of {_CATEGORIES}"
                )
        for key in ("allow", "deny"):
            try:
                normalized = tuple(
                    validate_spdx(v, f"{key}[{i}]", declared_refs=self.declared_refs)
                    for i, v in enumerate(getattr(self, key))
                )
            except SpecError as error:  # build_config prefixes the section's name
                raise ValueError(str(error)) from error
            object.__setattr__(self, key, normalized)
        if self.unknown == "allow" and not self.unknown_justification.strip():
            raise ValueError(
                "unknown: allow needs unknown_justification: say why documents of unknown "
                "license may be used (it is recorded in the ledger)"
            )

    @property
    def fingerprint(self) -> str:
        """Stable hash of the policy, for snapshot properties and the ledger."""
        return fingerprint(self)


# The commented `license:` section of an example spec (for `curate init`).
EXAMPLE_SPEC_SECTION = """\
use: commercial_training       # commercial_training | internal_only | research (rules out categories)
allow_categories: [public_domain, permissive, internal]
# deny_categories: [non_commercial]
# allow: [MPL-2.0]             # SPDX ids always allowed; `deny` lists ids always refused
declared_refs:                 # LicenseRef-* ids your sources use, with their category
  LicenseRef-Internal: internal
unknown: quarantine            # quarantine | drop | allow (allow needs unknown_justification)
"""


def default_policy() -> LicensePolicy:
    """Keep every known license, quarantine unknown ones (an empty `license:` section)."""
    return LicensePolicy()
