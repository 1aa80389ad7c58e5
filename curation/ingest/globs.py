"""Glob patterns over source-relative POSIX paths, compiled once to one regular expression.

`**` spans any number of folders (including none), `*` and `?` stay inside one path segment,
and a pattern without `/` matches the file name at any depth (as in .gitignore), so
`exclude: ["MANIFEST.csv", "*.license.json"]` does what it says. In `exclude`, such a name
pattern also matches a folder, excluding everything below it (`exclude: [".git"]`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def glob_to_regex(pattern: str) -> str:
    """Translate one glob to a regex body (no anchors).

    Examples
    --------
    >>> bool(re.fullmatch(glob_to_regex("**/*.md"), "README.md"))
    True
    >>> bool(re.fullmatch(glob_to_regex("docs/*.md"), "docs/a/b.md"))
    False
    """
    pattern = pattern.strip().lstrip("/")
    if "/" not in pattern:
        pattern = "**/" + pattern
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
                i += 1
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def compile_globs(patterns: Iterable[str], *, folders: bool = False) -> re.Pattern[str] | None:
    """One alternation of all patterns; None when there are none (matches nothing).

    With `folders`, a pattern without `/` also matches everything below a folder of that name.
    """
    bodies = []
    for pattern in patterns:
        if not pattern.strip():
            continue
        body = glob_to_regex(pattern)
        if folders and "/" not in pattern.strip().strip("/"):
            body += "(?:/.*)?"
        bodies.append(body)
    if not bodies:
        return None
    return re.compile("|".join(f"(?:{b})" for b in bodies), re.DOTALL)


class PathFilter:
    """include/exclude decision for a relative path: included and not excluded."""

    def __init__(self, include: Iterable[str], exclude: Iterable[str]) -> None:
        self._include = compile_globs(include)
        self._exclude = compile_globs(exclude, folders=True)

    def excludes_folder(self, relative_folder: str) -> bool:
        """True when a folder is excluded as a whole, so the walk need not enter it."""
        return self._exclude is not None and bool(self._exclude.fullmatch(relative_folder))

    def __call__(self, relative_path: str) -> bool:
        if self._include is None or not self._include.fullmatch(relative_path):
            return False
        return not (self._exclude is not None and self._exclude.fullmatch(relative_path))
