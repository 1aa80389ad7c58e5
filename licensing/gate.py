"""The license gate: keep, drop or quarantine each document by its resolved license.

The policy is evaluated once per distinct SPDX expression in the batch (a corpus has a handful),
then mapped back onto the rows column-wise. Details name the expression, the outcome and the
rule that decided it, so the ledger explains every held-back document.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl
import pyarrow as pa

from curation.ledger import details_json
from curation.stage import StageDecision
from licensing.exceptions import LicenseExpressionError
from licensing.expressions import Category, evaluate, license_category, parse_expression
from licensing.policy import USE_FORBIDS, LicensePolicy
from licensing.reasons import LicenseReason


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verdict:
    """The policy's answer for one expression and the rule that gave it."""

    outcome: Outcome
    rule: str


def _leaf(license_id: str, policy: LicensePolicy) -> Verdict:
    if license_id in policy.deny:
        return Verdict(Outcome.DENY, f"deny:{license_id}")
    if license_id in policy.allow:
        return Verdict(Outcome.ALLOW, f"allow:{license_id}")
    category = license_category(license_id, declared_refs=policy.declared_refs)
    if category is Category.UNKNOWN:
        return Verdict(Outcome.UNKNOWN, f"unknown:{license_id}")
    if category.value in policy.deny_categories:
        return Verdict(Outcome.DENY, f"deny_categories:{category.value}:{license_id}")
    if policy.use is not None and category in USE_FORBIDS[policy.use]:
        return Verdict(Outcome.DENY, f"use:{policy.use} forbids {category.value}:{license_id}")
    if policy.allow_categories and category.value not in policy.allow_categories:
        return Verdict(Outcome.DENY, f"not in allow_categories:{category.value}:{license_id}")
    return Verdict(Outcome.ALLOW, f"category:{category.value}:{license_id}")


def _any_of(verdicts: list[Verdict]) -> Verdict:
    for outcome in (Outcome.ALLOW, Outcome.UNKNOWN, Outcome.DENY):
        chosen = [v.rule for v in verdicts if v.outcome is outcome]
        if chosen:
            return Verdict(outcome, " OR ".join(chosen) if outcome is Outcome.DENY else chosen[0])
    raise ValueError("OR without branches")


def _all_of(verdicts: list[Verdict]) -> Verdict:
    for outcome in (Outcome.DENY, Outcome.UNKNOWN, Outcome.ALLOW):
        chosen = [v.rule for v in verdicts if v.outcome is outcome]
        if chosen:
            return Verdict(outcome, " AND ".join(chosen) if outcome is Outcome.ALLOW else chosen[0])
    raise ValueError("AND without branches")


def evaluate_policy(expression: str | None, policy: LicensePolicy) -> Verdict:
    """The policy's verdict on one SPDX expression (null or unparsable is unknown).

    Examples
    --------
    >>> from licensing.policy import LicensePolicy
    >>> strict = LicensePolicy(use="commercial_training", allow_categories=("public_domain", "permissive"))
    >>> evaluate_policy("CC-BY-NC-4.0 OR MIT", strict).outcome
    <Outcome.ALLOW: 'allow'>
    >>> evaluate_policy("MIT AND GPL-3.0-only", strict)
    Verdict(outcome=<Outcome.DENY: 'deny'>, rule='use:commercial_training forbids copyleft:GPL-3.0-only')
    >>> evaluate_policy("NOASSERTION", strict).outcome
    <Outcome.UNKNOWN: 'unknown'>
    """
    if expression is None:
        return Verdict(Outcome.UNKNOWN, "unknown:no license")
    try:
        parsed = parse_expression(expression, declared_refs=policy.declared_refs)
    except LicenseExpressionError:
        return Verdict(Outcome.UNKNOWN, f"unknown:unparsable {expression!r}")
    return evaluate(parsed.tree, lambda key: _leaf(key, policy), any_of=_any_of, all_of=_all_of)


def gate_licenses(table: pa.Table, policy: LicensePolicy) -> StageDecision:
    """Kept, dropped (`license.denied`) or quarantined (`license.unknown`) per document.

    Documents of unknown license follow `policy.unknown`: quarantined by default, dropped
    with `license.denied`, or kept with the operator's justification in their details.

    Examples
    --------
    >>> from licensing.policy import LicensePolicy
    >>> batch = pa.table({"spdx": ["CC0-1.0", "OPUBL-1.0", "NOASSERTION"]})
    >>> policy = LicensePolicy(use="commercial_training", allow_categories=("public_domain", "permissive"))
    >>> gate_licenses(batch, policy).decision.to_pylist()
    ['kept', 'dropped', 'quarantined']
    """
    spdx = pl.Series("spdx", table.column("spdx").combine_chunks()).cast(pl.String)
    verdicts = {value: evaluate_policy(value, policy) for value in spdx.unique().to_list()}
    details_by_value = {
        value: _details(value, verdict, policy) for value, verdict in verdicts.items()
    }
    # null licenses get a key of their own so one replace maps every row
    key = spdx.fill_null(_NULL_KEY)
    outcome = key.replace_strict(
        {_key(v): verdict.outcome.value for v, verdict in verdicts.items()}, return_dtype=pl.String
    )
    unknown = outcome == Outcome.UNKNOWN.value
    deny = (outcome == Outcome.DENY.value) | (unknown & (policy.unknown == "drop"))
    quarantine = unknown & (policy.unknown == "quarantine")
    held = deny | unknown  # denied, quarantined, or let through by the recorded override
    details = key.replace_strict(
        {_key(v): d for v, d in details_by_value.items()}, return_dtype=pl.String
    ).set(~held, None)
    reason = (
        pl.select(
            pl.when(pl.lit(quarantine))
            .then(pl.lit(LicenseReason.UNKNOWN.value))
            .when(pl.lit(deny))
            .then(pl.lit(LicenseReason.DENIED.value))
            .otherwise(pl.lit(None, pl.String))
        )
        .to_series()
        .to_arrow()
    )
    return StageDecision.from_masks(
        table.num_rows,
        drop=deny.to_numpy(),
        quarantine=quarantine.to_numpy(),
        reason=reason,
        details=details.to_arrow(),
    )


_NULL_KEY = "\x00null"


def _key(value: str | None) -> str:
    return _NULL_KEY if value is None else value


def _details(value: str | None, verdict: Verdict, policy: LicensePolicy) -> str:
    """Ledger details of one expression's verdict: what, which rule, which policy."""
    extra: dict[str, str] = {}
    if verdict.outcome is Outcome.UNKNOWN:
        extra["unknown"] = policy.unknown
        if policy.unknown == "allow":
            extra["justification"] = policy.unknown_justification
    return details_json(
        spdx=value,
        outcome=verdict.outcome.value,
        rule=verdict.rule,
        policy=policy.fingerprint,
        **extra,
    )
