"""Errors of the demo corpus generator."""

from __future__ import annotations

from curation.exceptions import CurationError


class DemoCorpusError(CurationError):
    """The demo corpus cannot be written where it was asked to go."""
