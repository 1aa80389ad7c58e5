"""SPDX expressions: parsing, normalization, validation for specs, categories, attribution."""

from __future__ import annotations

import doctest

import pytest

import licensing.attribution
import licensing.expressions
import licensing.files
import licensing.gate
import licensing.manifests
import licensing.notices
import licensing.policy
import licensing.resolve
from curation.exceptions import SpecError
from licensing.exceptions import LicenseExpressionError
from licensing.expressions import (
    Category,
    expression_category,
    license_category,
    normalize_spdx,
    parse_expression,
    requires_attribution,
    try_normalize,
    validate_spdx,
)


@pytest.mark.parametrize(
    "module",
    [
        licensing.expressions,
        licensing.notices,
        licensing.manifests,
        licensing.policy,
        licensing.gate,
        licensing.resolve,
        licensing.attribution,
        licensing.files,
    ],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("mit", "MIT"),
        ("mit or apache-2.0", "MIT OR Apache-2.0"),
        ("  MIT   AND\n BSD-3-Clause ", "MIT AND BSD-3-Clause"),
        ("(MIT OR Apache-2.0) AND CC-BY-4.0", "(MIT OR Apache-2.0) AND CC-BY-4.0"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
        (
            "gpl-2.0-or-later with classpath-exception-2.0",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
        ),
        ("licenseref-publicdomain OR cc0-1.0", "LicenseRef-PublicDomain OR CC0-1.0"),
        ("NOASSERTION", "NOASSERTION"),
        ("OPUBL-1.0", "OPUBL-1.0"),
    ],
)
def test_normalize_spells_ids_as_spdx_does(given, expected):
    assert normalize_spdx(given) == expected


def test_public_domain_ref_is_not_renamed_to_the_scancode_key():
    # the bundled index lists LicenseRef-PublicDomain as an alias of a ScanCode key
    parsed = parse_expression("LicenseRef-PublicDomain AND BSD-3-Clause")
    assert parsed.license_ids == ("LicenseRef-PublicDomain", "BSD-3-Clause")


@pytest.mark.parametrize(
    "bad", ["", "MIT AND", "MIT (Apache-2.0", "Apache-3.0", "MIT OR OR BSD-3-Clause"]
)
def test_invalid_expressions_raise(bad):
    with pytest.raises(LicenseExpressionError):
        normalize_spdx(bad)
    assert try_normalize(bad) is None


def test_license_refs_must_be_declared():
    with pytest.raises(LicenseExpressionError, match="declared_refs"):
        normalize_spdx("LicenseRef-Acme-Internal")
    refs = {"LicenseRef-Acme-Internal": "proprietary"}
    assert normalize_spdx("licenseref-acme-internal OR MIT", declared_refs=refs) == (
        "LicenseRef-Acme-Internal OR MIT"
    )


def test_validate_spdx_names_the_spec_key():
    with pytest.raises(SpecError) as error:
        validate_spdx("CC-BY-5.0", "sources[1].license")
    assert error.value.key == "sources[1].license"
    assert "CC-BY-5.0" in str(error.value)
    with pytest.raises(SpecError, match="expected an SPDX expression string"):
        validate_spdx(42, "sources[0].license")
    assert validate_spdx("cc-by-4.0", "sources[0].license") == "CC-BY-4.0"


@pytest.mark.parametrize(
    ("license_id", "expected"),
    [
        ("CC0-1.0", Category.PUBLIC_DOMAIN),
        ("LicenseRef-PublicDomain", Category.PUBLIC_DOMAIN),
        ("Unlicense", Category.PUBLIC_DOMAIN),
        ("MIT", Category.PERMISSIVE),
        ("Apache-2.0", Category.PERMISSIVE),
        ("CC-BY-4.0", Category.PERMISSIVE),
        ("LGPL-2.1-only", Category.WEAK_COPYLEFT),
        ("MPL-2.0", Category.WEAK_COPYLEFT),
        ("CC-BY-SA-4.0", Category.COPYLEFT),
        ("CC-BY-SA-3.0", Category.COPYLEFT),
        ("GPL-3.0-only", Category.COPYLEFT),
        ("CC-BY-NC-4.0", Category.NON_COMMERCIAL),
        ("CC-BY-NC-SA-4.0", Category.NON_COMMERCIAL),
        ("OPUBL-1.0", Category.NON_COMMERCIAL),
        ("NONE", Category.PROPRIETARY),
        ("NOASSERTION", Category.UNKNOWN),
        ("LicenseRef-Whatever", Category.UNKNOWN),
    ],
)
def test_categories_come_from_the_bundled_index(license_id, expected):
    assert license_category(license_id) is expected


def test_declared_refs_carry_their_category():
    refs = {"LicenseRef-Acme-Internal": "proprietary"}
    assert license_category("LicenseRef-Acme-Internal", declared_refs=refs) is Category.PROPRIETARY
    assert (
        expression_category("LicenseRef-Acme-Internal OR MIT", declared_refs=refs)
        is Category.PERMISSIVE
    )


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("LicenseRef-PublicDomain OR CC0-1.0", Category.PUBLIC_DOMAIN),
        ("LicenseRef-PublicDomain AND BSD-3-Clause", Category.PERMISSIVE),
        ("CC-BY-NC-4.0 OR MIT", Category.PERMISSIVE),
        ("MIT AND (GPL-3.0-only OR CC-BY-NC-4.0)", Category.COPYLEFT),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", Category.COPYLEFT),
        ("MIT AND NOASSERTION", Category.UNKNOWN),
        ("not an expression (", Category.UNKNOWN),
    ],
)
def test_expression_category_folds_or_to_least_and_and_to_most_restrictive(expression, expected):
    assert expression_category(expression) is expected


def test_requires_attribution_for_by_licenses_only():
    assert requires_attribution("CC-BY-4.0")
    assert requires_attribution("LicenseRef-PublicDomain AND Apache-2.0")
    assert not requires_attribution("CC0-1.0")
    assert not requires_attribution("LicenseRef-PublicDomain OR CC0-1.0")
    assert not requires_attribution("NOASSERTION")
