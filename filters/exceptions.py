"""Errors of the quality stage; each message says what to do about it."""

from __future__ import annotations

from curation.exceptions import CurationError


class QualityError(CurationError):
    """Base class of quality-filtering errors (the CLI turns it into exit code 2)."""


class SignalsMissingError(QualityError):
    """`filter_quality` was given a table that `score_quality` has not scored."""


class ClassifierError(QualityError):
    """A quality classifier cannot be trained, loaded or trusted."""


class TrainingDataError(ClassifierError):
    """Labelled examples are missing, unreadable or too few to train and evaluate on."""
