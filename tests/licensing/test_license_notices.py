"""License evidence inside documents: SPDX tags, notices, properties, copyright lines."""

from __future__ import annotations

import polars as pl
import pytest

from licensing.notices import classify_license_text, find_document_evidence


def evidence(
    texts: list[str | None], metadata: list[str | None] | None = None, **kw
) -> pl.DataFrame:
    metadata = metadata if metadata is not None else [None] * len(texts)
    return find_document_evidence(
        pl.Series(texts, dtype=pl.String), pl.Series(metadata, dtype=pl.String), **kw
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This document has been placed in the public domain.", "LicenseRef-PublicDomain"),
        ("This document has been placed into the public domain.", "LicenseRef-PublicDomain"),
        ("This PEP is placed in the Public Domain.", "LicenseRef-PublicDomain"),
        (
            "This document is placed in the public domain or under the\n"
            "CC0-1.0-Universal license, whichever is more permissive.",
            "LicenseRef-PublicDomain OR CC0-1.0",
        ),
        (
            "This document has been placed in the public domain under the terms of the CC0 1.0 "
            "license: https://creativecommons.org/publicdomain/zero/1.0/",
            "LicenseRef-PublicDomain OR CC0-1.0",
        ),
        ("This work is licensed under CC0 1.0 Universal.", "CC0-1.0"),
        (
            "This work is licensed under a [Creative Commons Attribution 4.0 License]"
            "(https://creativecommons.org/licenses/by/4.0/).",
            "CC-BY-4.0",
        ),
        (
            "This work is available under a Creative Commons Attribution-ShareAlike 4.0 International license.",
            "CC-BY-SA-4.0",
        ),
        ("This page is licensed under CC BY-NC-SA 3.0.", "CC-BY-NC-SA-3.0"),
        (
            "This text is distributed under https://creativecommons.org/licenses/by-nd/2.5/ terms.",
            "CC-BY-ND-2.5",
        ),
        ("This file is licensed under the MIT License.", "MIT"),
        (
            "Copyright (c) 2019 by Microsoft Corporation. This material may be distributed only "
            "subject to the terms and conditions set forth in the Open Publication License, v1.0 or "
            "later (the latest version is presently available at http://www.opencontent.org/openpub/).",
            "OPUBL-1.0",
        ),
        (
            "This P.E.P. is licensed under the Open Publication License; http://www.opencontent.org/openpub/.",
            "OPUBL-1.0",
        ),
        (
            "This document is dual-licensed under the MIT License or Apache License, Version 2.0.",
            "Apache-2.0 OR MIT",
        ),
        (
            '<p class="apache">Copyright 2023 The Apache Software Foundation.<br />Licensed under the '
            '<a href="http://www.apache.org/licenses/LICENSE-2.0">Apache License, Version 2.0</a>.</p>',
            "Apache-2.0",
        ),
    ],
)
def test_notices_name_the_license(text, expected):
    found = evidence([f"# Title\n\nSome body text.\n\n{text}\n"])
    assert found["notice"].to_list() == [expected]
    assert found["notice_text"][0]


@pytest.mark.parametrize(
    "text",
    [
        # mentions of licenses that are not statements about this document
        "The GitHub Advisory Database is licensed under the Creative Commons Attribution 4.0 license.",
        "- The **license** on every repo must be Creative Commons 0, or CC0.",
        "Documentation is distributed under CC BY 4.0.",
        "and, as always, this guide is in the public domain so you are free to copy it.",
        "This project is in the public domain within the United States.",
        # a self-reference without a license
        "This document is the property of the Python Steering Union.",
        # a quoted template (reST literal block), not this document's statement
        "Use this template::\n\n  Copyright\n\n      This document has been placed in the public domain.\n",
        # no licensing predicate
        "This document describes the MIT License and the Apache License, Version 2.0.",
    ],
)
def test_mentions_and_quotes_are_not_notices(text):
    assert evidence([text])["notice"].to_list() == [None]


def test_partial_statements_leave_the_rest_unknown():
    text = (
        "Text copied from Django used under `their license <https://github.com/django/django/"
        "blob/main/LICENSE>`__. The rest of this document has been placed in the public domain.\n"
    )
    assert evidence([text])["notice"].to_list() == ["LicenseRef-PublicDomain AND NOASSERTION"]


def test_last_statement_wins():
    text = (
        "This document is licensed under the MIT License.\n\nBody.\n\nCopyright\n=========\n\n"
        "This document has been placed in the public domain.\n"
    )
    assert evidence([text])["notice"].to_list() == ["LicenseRef-PublicDomain"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("# SPDX-License-Identifier: Apache-2.0", "Apache-2.0"),
        ("/* SPDX-License-Identifier: MIT OR Apache-2.0 */", "MIT OR Apache-2.0"),
        ("<!-- SPDX-License-Identifier: cc-by-4.0 -->", "CC-BY-4.0"),
        (".. SPDX-License-Identifier: GPL-2.0+", "GPL-2.0-or-later"),
        ("SPDX-License-Identifier: LicenseRef-Acme", "LicenseRef-Acme"),
    ],
)
def test_spdx_tags(line, expected):
    found = evidence([f"{line}\nbody"], declared_refs={"LicenseRef-Acme": "proprietary"})
    assert found["tag"].to_list() == [expected]


def test_noassertion_tags_and_properties_say_nothing():
    found = evidence(["SPDX-License-Identifier: NOASSERTION\n"], ['{"license": "NOASSERTION"}'])
    assert found.select("tag", "metadata").rows() == [(None, None)]


def test_invalid_tag_is_kept_raw_but_not_used():
    found = evidence(["SPDX-License-Identifier: Apache-7.0\n"])
    assert found["tag_raw"].to_list() == ["Apache-7.0"]
    assert found["tag"].to_list() == [None]


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ('{"rights": "CC-BY-4.0"}', "CC-BY-4.0"),
        ('{"license": "CC BY-SA 4.0", "title": "x"}', "CC-BY-SA-4.0"),
        ('{"xmpRights:UsageTerms": "https://creativecommons.org/licenses/by/3.0/"}', "CC-BY-3.0"),
        ('{"copyright": "Released into the public domain"}', "LicenseRef-PublicDomain"),
        ('{"title": "Licensed under MIT", "author": "Jane"}', None),
        ('{"copyright": "Copyright 2021 ACME"}', None),
        ('{"copyright": "Copyright 2021 ACME", "license": "MIT License"}', "MIT"),
    ],
)
def test_metadata_properties(metadata, expected):
    assert evidence(["plain text"], [metadata])["metadata"].to_list() == [expected]


def test_copyright_lines_from_text_html_and_properties():
    found = evidence(
        [
            "Intro\nCopyright (c) 2017-2018 by Microsoft Corporation.\n",
            '<p class="apache">Copyright 2024 The Apache Software Foundation.<br />',
            "SPDX-FileCopyrightText: 2022 Jane Roe <jane@example.org>\n",
            "We discuss copyright law in 2024 terms.",
            "no line",
        ],
        [None, None, None, None, '{"copyright": "Copyright 2020 ACME Corp"}'],
    )
    assert found["copyright"].to_list() == [
        "Copyright (c) 2017-2018 by Microsoft Corporation.",
        "Copyright 2024 The Apache Software Foundation.",
        "SPDX-FileCopyrightText: 2022 Jane Roe",
        None,
        "Copyright 2020 ACME Corp",
    ]


def test_batch_shapes_and_nulls():
    found = evidence([None, "", "x"])
    assert found.height == 3
    assert found.null_count().row(0) == (3, 3, 3, 3, 3, 3)
    empty = evidence([])
    assert empty.height == 0
    assert empty.columns == ["tag_raw", "tag", "notice", "notice_text", "metadata", "copyright"]


def test_classifier_ignores_public_domain_dedication_name():
    frame = pl.DataFrame({"t": ["our CC0 public domain dedication", "Public Domain or CC0"]})
    assert frame.select(classify_license_text(pl.col("t")).alias("s"))["s"].to_list() == [
        "CC0-1.0",
        "LicenseRef-PublicDomain OR CC0-1.0",
    ]
