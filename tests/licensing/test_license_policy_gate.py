"""License policy from the spec and the gate it drives: AND/OR/WITH, unknown, overrides."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from curation.config import build_config
from curation.exceptions import SpecError
from curation.ledger import reconcile
from curation.stage import apply_decision
from licensing.gate import LicenseReason, Outcome, evaluate_policy, gate_licenses
from licensing.policy import LicensePolicy, default_policy

COMMERCIAL = {"use": "commercial_training", "allow_categories": ["public_domain", "permissive"]}


def policy(**values) -> LicensePolicy:
    return build_config(LicensePolicy, values, "license")


def test_empty_section_is_the_default_policy():
    built = build_config(LicensePolicy, None, "license")
    assert built == default_policy()
    assert built.unknown == "quarantine"
    assert built.use is None


@pytest.mark.parametrize(
    ("values", "key_fragment"),
    [
        ({"allow_categories": ["permisive"]}, "allow_categories: unknown category 'permisive'"),
        ({"deny_categories": ["bad"]}, "deny_categories"),
        ({"use": "resale"}, "license.use"),
        ({"allow": ["Apache-3.0"]}, "allow[0]"),
        ({"deny": ["LicenseRef-Secret"]}, "declared_refs"),
        ({"declared_refs": {"Acme": "proprietary"}}, "only LicenseRef- ids"),
        ({"declared_refs": {"LicenseRef-Acme": "secret"}}, "declared_refs.LicenseRef-Acme"),
        ({"unknown": "allow"}, "unknown_justification"),
        ({"unknown": "keep"}, "license.unknown"),
        ({"alow": ["MIT"]}, "license.alow: unknown key"),
    ],
)
def test_policy_errors_name_the_key(values, key_fragment):
    with pytest.raises(SpecError) as error:
        policy(**values)
    assert key_fragment in str(error.value)
    assert str(error.value).startswith("license")


def test_policy_normalizes_ids_and_has_a_stable_fingerprint():
    built = policy(
        allow=["mit"], declared_refs={"LicenseRef-Acme": "proprietary"}, deny=["LicenseRef-Acme"]
    )
    assert built.allow == ("MIT",)
    assert built.deny == ("LicenseRef-Acme",)
    assert (
        built.fingerprint
        == policy(
            allow=["MIT"],
            declared_refs={"LicenseRef-Acme": "proprietary"},
            deny=["LicenseRef-Acme"],
        ).fingerprint
    )
    assert built.fingerprint != default_policy().fingerprint


@pytest.mark.parametrize(
    ("expression", "outcome"),
    [
        # OR passes when one branch passes
        ("CC-BY-NC-4.0 OR MIT", Outcome.ALLOW),
        ("GPL-3.0-only OR CC-BY-NC-4.0", Outcome.DENY),
        ("NOASSERTION OR MIT", Outcome.ALLOW),
        ("NOASSERTION OR GPL-3.0-only", Outcome.UNKNOWN),
        # AND needs every branch
        ("MIT AND Apache-2.0", Outcome.ALLOW),
        ("MIT AND GPL-3.0-only", Outcome.DENY),
        ("MIT AND NOASSERTION", Outcome.UNKNOWN),
        ("GPL-3.0-only AND NOASSERTION", Outcome.DENY),
        ("LicenseRef-PublicDomain AND BSD-3-Clause", Outcome.ALLOW),
        ("(MIT OR GPL-3.0-only) AND (CC0-1.0 OR CC-BY-NC-4.0)", Outcome.ALLOW),
        ("(MIT OR GPL-3.0-only) AND CC-BY-NC-4.0", Outcome.DENY),
        # WITH follows its license
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", Outcome.DENY),
        ("Apache-2.0 WITH LLVM-exception", Outcome.ALLOW),
        # singles
        ("LicenseRef-PublicDomain OR CC0-1.0", Outcome.ALLOW),
        ("OPUBL-1.0", Outcome.DENY),
        ("CC-BY-SA-4.0", Outcome.DENY),
        ("NOASSERTION", Outcome.UNKNOWN),
        ("LicenseRef-Undeclared", Outcome.UNKNOWN),
        ("this is not SPDX", Outcome.UNKNOWN),
        (None, Outcome.UNKNOWN),
    ],
)
def test_expression_evaluation(expression, outcome):
    assert evaluate_policy(expression, policy(**COMMERCIAL)).outcome is outcome


def test_rules_by_id_beat_categories_and_use():
    built = policy(**COMMERCIAL, allow=["GPL-3.0-only"], deny=["MIT"])
    assert evaluate_policy("GPL-3.0-only", built).rule == "allow:GPL-3.0-only"
    assert evaluate_policy("MIT", built).rule == "deny:MIT"
    assert evaluate_policy("MIT OR Apache-2.0", built).outcome is Outcome.ALLOW


@pytest.mark.parametrize(
    ("use", "expression", "outcome"),
    [
        ("commercial_training", "GPL-3.0-only", Outcome.DENY),
        ("commercial_training", "LGPL-2.1-only", Outcome.ALLOW),
        ("internal_only", "GPL-3.0-only", Outcome.ALLOW),
        ("internal_only", "CC-BY-NC-4.0", Outcome.DENY),
        ("research", "CC-BY-NC-4.0", Outcome.ALLOW),
        ("research", "NONE", Outcome.DENY),
    ],
)
def test_use_rules_out_categories(use, expression, outcome):
    assert evaluate_policy(expression, policy(use=use)).outcome is outcome


def test_example_spec_section_builds():
    import yaml

    from licensing.policy import EXAMPLE_SPEC_SECTION

    built = policy(**yaml.safe_load(EXAMPLE_SPEC_SECTION))
    assert built.declared_refs == {"LicenseRef-Internal": "internal"}
    assert evaluate_policy("LicenseRef-Internal", built).outcome is Outcome.ALLOW
    assert evaluate_policy("CC-BY-SA-4.0", built).outcome is Outcome.DENY


@pytest.mark.parametrize("use", ["commercial_training", "internal_only", "research"])
def test_internal_documents_pass_every_use(use):
    built = policy(use=use, declared_refs={"LicenseRef-Acme-Internal": "internal"})
    assert evaluate_policy("LicenseRef-Acme-Internal", built).outcome is Outcome.ALLOW


def test_declared_refs_are_judged_by_their_category():
    built = policy(
        use="internal_only",
        declared_refs={
            "LicenseRef-Acme-Internal": "proprietary",
            "LicenseRef-Acme-Public": "permissive",
        },
        allow=["LicenseRef-Acme-Internal"],
    )
    assert evaluate_policy("LicenseRef-Acme-Internal", built).outcome is Outcome.ALLOW
    assert evaluate_policy("LicenseRef-Acme-Public", built).outcome is Outcome.ALLOW
    assert evaluate_policy("LicenseRef-Other", built).outcome is Outcome.UNKNOWN


def _batch(spdx: list[str | None]) -> pa.Table:
    n = len(spdx)
    return pa.table(
        {
            "doc_id": [f"d{i}" for i in range(n)],
            "source_id": ["s"] * n,
            "source_uri": [f"file:///s/{i}" for i in range(n)],
            "spdx": spdx,
        }
    )


def test_acceptance_policy_keeps_open_licenses_and_holds_back_the_rest_with_reasons():
    spdx = [
        "CC0-1.0",
        "Apache-2.0",
        "CC-BY-4.0",
        "LicenseRef-PublicDomain",
        "LicenseRef-PublicDomain OR CC0-1.0",
        "LicenseRef-PublicDomain AND BSD-3-Clause",
        "OPUBL-1.0",
        "NOASSERTION",
    ]
    batch = _batch(spdx)
    decision = gate_licenses(batch, policy(**COMMERCIAL))
    assert decision.decision.to_pylist() == ["kept"] * 6 + ["dropped", "quarantined"]
    assert decision.reason.to_pylist() == [None] * 6 + [LicenseReason.DENIED, LicenseReason.UNKNOWN]
    denied, unknown = (json.loads(d) for d in decision.details.to_pylist()[6:])
    assert denied["spdx"] == "OPUBL-1.0"
    assert denied["rule"] == "use:commercial_training forbids non_commercial:OPUBL-1.0"
    assert unknown == {
        "outcome": "unknown",
        "policy": policy(**COMMERCIAL).fingerprint,
        "rule": "unknown:NOASSERTION",
        "spdx": "NOASSERTION",
        "unknown": "quarantine",
    }

    result = apply_decision("license", batch, decision, run_id="r1")
    assert result.table.column("doc_id").to_pylist() == [f"d{i}" for i in range(6)]
    check = reconcile(result.ledger, batch.column("doc_id"), result.table.column("doc_id"))
    assert check.ok, check.problems
    assert check.by_reason == {"license.denied": 1, "license.unknown": 1}


def test_unknown_override_keeps_with_the_justification_recorded():
    built = policy(
        unknown="allow", unknown_justification="DPO ticket 42: internal memos, owned by us"
    )
    decision = gate_licenses(_batch(["NOASSERTION", "MIT"]), built)
    assert decision.decision.to_pylist() == ["kept", "kept"]
    assert decision.reason.to_pylist() == [None, None]
    details = json.loads(decision.details[0].as_py())
    assert details["justification"] == "DPO ticket 42: internal memos, owned by us"
    assert decision.details[1].as_py() is None


def test_unknown_drop_and_null_licenses():
    decision = gate_licenses(_batch([None, "NOASSERTION", "CC0-1.0"]), policy(unknown="drop"))
    assert decision.decision.to_pylist() == ["dropped", "dropped", "kept"]
    assert decision.reason.to_pylist() == ["license.denied", "license.denied", None]


def test_default_policy_keeps_every_known_license():
    spdx = ["GPL-3.0-only", "CC-BY-NC-4.0", "NONE", "MIT", "NOASSERTION"]
    decision = gate_licenses(_batch(spdx), default_policy())
    assert decision.decision.to_pylist() == ["kept"] * 4 + ["quarantined"]


def test_empty_batch():
    decision = gate_licenses(_batch([]), default_policy())
    assert len(decision.decision) == 0
