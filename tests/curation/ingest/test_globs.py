"""Include/exclude globs on source-relative paths."""

from __future__ import annotations

import pytest

from curation.ingest.globs import PathFilter


@pytest.mark.parametrize(
    ("include", "exclude", "path", "expected"),
    [
        (("**/*",), (), "a.md", True),
        (("**/*",), (), "deep/er/.hidden", True),
        (("**/*.md",), (), "docs/x/readme.md", True),
        (("docs/*.md",), (), "docs/x/readme.md", False),
        (("docs/**",), (), "docs/x/readme.md", True),
        (("*.md",), (), "docs/readme.md", True),  # no slash: the file name at any depth
        (("**/*",), ("MANIFEST.csv",), "MANIFEST.csv", False),
        (("**/*",), ("*.license.json",), "a/b.license.json", False),
        (("**/*",), (".git",), ".git/objects/ab/cd", False),  # a folder name excludes below it
        (("**/*",), ("build/**",), "build/x.txt", False),
        (("**/*",), ("build/**",), "src/build.txt", True),
        (("**/*.[mr]st",), (), "a/b.rst", True),
        ((), (), "a.md", False),
    ],
)
def test_path_filter(include: tuple, exclude: tuple, path: str, expected: bool) -> None:
    assert PathFilter(include, exclude)(path) is expected


def test_excluded_folders_are_pruned() -> None:
    matches = PathFilter(("**/*",), (".git", "node_modules"))
    assert matches.excludes_folder("sub/.git")
    assert matches.excludes_folder("node_modules")
    assert not matches.excludes_folder("docs")
