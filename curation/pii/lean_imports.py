"""Presidio and spaCy imported without the parts the engine never runs.

Presidio: `import presidio_analyzer` runs its `__init__`, which imports the recognizer
registry, every predefined recognizer of every country (compiling ~170 patterns with `regex`)
and the NLP engines: ~0.2 CPU s of each `curate redact` and worker start-up, for classes the
engine never uses. The base classes live in plain submodules, so `presidio` imports them under
stand-in parent packages that are removed again right after: a later `import presidio_analyzer`
(`build_analyzer`, a caller's own code) runs the real init, which finds these submodules already
imported and reuses them, so every caller sees the same classes.

spaCy: `import spacy` imports `spacy.cli.info` for `spacy.info`, and with it the whole command
line (weasel, requests, httpx: ~0.12 CPU s). `spacy` imports spaCy with a stand-in for that
module whose `info` imports the real one when called; `spacy.cli` then imports as usual.

Any failure (another layout of either package) falls back to the ordinary import.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import logging
import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

# (submodule of presidio_analyzer, names the package init exports from it), in import order:
# each submodule reads the names of the ones before it from the package.
_CORE = (
    ("analysis_explanation", ("AnalysisExplanation",)),
    ("recognizer_result", ("RecognizerResult",)),
    ("entity_recognizer", ("EntityRecognizer",)),
    ("local_recognizer", ("LocalRecognizer",)),
    ("pattern", ("Pattern",)),
    ("pattern_recognizer", ("PatternRecognizer",)),
)
_GENERIC = "presidio_analyzer.predefined_recognizers.generic"


# Stand-in modules are in sys.modules only while one thread holds this.
_LOCK = threading.RLock()


@functools.cache
def core() -> types.SimpleNamespace:
    """LocalRecognizer, RecognizerResult, PatternRecognizer, Pattern, IpRecognizer,
    IbanRecognizer and REGEX_TIMEOUT_SECONDS, from whichever import works."""
    spacy()  # the Presidio modules below import spaCy's
    with _LOCK:
        if "presidio_analyzer" not in sys.modules:
            try:
                return _without_package_init()
            except Exception as error:  # noqa: BLE001 - any layout change: the ordinary import
                log.debug("presidio core import without package init failed: %s", error)
        return _ordinary()


def presidio(*names: str) -> Any:
    """One class (or a tuple of them) of `core()` by name."""
    found = core()
    return getattr(found, names[0]) if len(names) == 1 else tuple(getattr(found, n) for n in names)


def spacy() -> types.ModuleType:
    """The `spacy` module, imported without its command line when nothing imported it yet."""
    found = sys.modules.get("spacy")
    if found is not None:
        return found
    with _LOCK:
        if "spacy" not in sys.modules:
            try:
                _spacy_without_cli()
            except Exception as error:  # noqa: BLE001 - any layout change: the ordinary import
                log.debug("spaCy import without its command line failed: %s", error)
        import spacy as module

        return module


def _package_root(package: str) -> str:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is not installed as a package")
    return list(spec.submodule_search_locations)[0]


@contextlib.contextmanager
def _standing_in(package: str) -> Iterator[dict[str, types.ModuleType]]:
    """Stand-in modules of `package` while the block imports: the caller puts them in the
    yielded dict (and `sys.modules`); they leave `sys.modules` when the block ends, and if it
    raises, every module of `package` it imported leaves too, so that the ordinary import
    starts from scratch."""
    before = set(sys.modules)
    stand_ins: dict[str, types.ModuleType] = {}
    try:
        yield stand_ins
    except Exception:
        for name in set(sys.modules) - before:
            if name == package or name.startswith(package + "."):
                del sys.modules[name]
        raise
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


def _stand_in(
    stand_ins: dict[str, types.ModuleType], name: str, path: str | None = None
) -> types.ModuleType:
    """An empty module `name` in `sys.modules` (a package reading submodules from `path`)."""
    module = types.ModuleType(name)
    if path is not None:
        module.__path__ = [path]
    sys.modules[name] = stand_ins[name] = module
    return module


def _spacy_without_cli() -> None:
    root = _package_root("spacy")
    with _standing_in("spacy") as stand_ins:
        cli = _stand_in(stand_ins, "spacy.cli", f"{root}/cli")
        info = _stand_in(stand_ins, "spacy.cli.info")
        info.info = _spacy_info  # type: ignore[attr-defined]
        import spacy  # noqa: F401
    if getattr(sys.modules["spacy"], "cli", None) is cli:
        del sys.modules["spacy"].cli  # `spacy.cli` now imports the real package


def _spacy_info(*args: Any, **kwargs: Any) -> Any:
    """`spacy.info`, imported on first call (see the module docstring)."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


def _ordinary() -> types.SimpleNamespace:
    import presidio_analyzer as pa
    from presidio_analyzer.pattern_recognizer import REGEX_TIMEOUT_SECONDS
    from presidio_analyzer.predefined_recognizers import IbanRecognizer, IpRecognizer

    return types.SimpleNamespace(
        LocalRecognizer=pa.LocalRecognizer,
        RecognizerResult=pa.RecognizerResult,
        PatternRecognizer=pa.PatternRecognizer,
        Pattern=pa.Pattern,
        IpRecognizer=IpRecognizer,
        IbanRecognizer=IbanRecognizer,
        REGEX_TIMEOUT_SECONDS=REGEX_TIMEOUT_SECONDS,
    )


def _without_package_init() -> types.SimpleNamespace:
    root = _package_root("presidio_analyzer")
    with _standing_in("presidio_analyzer") as stand_ins:
        package = _stand_in(stand_ins, "presidio_analyzer", root)
        nlp_engine = _stand_in(stand_ins, "presidio_analyzer.nlp_engine", f"{root}/nlp_engine")
        folder = f"{root}/predefined_recognizers"
        _stand_in(stand_ins, "presidio_analyzer.predefined_recognizers", folder)
        _stand_in(stand_ins, _GENERIC, f"{folder}/generic")
        found: dict[str, Any] = {}
        for submodule, names in _CORE:
            module = importlib.import_module(f"presidio_analyzer.{submodule}")
            for name in names:
                found[name] = getattr(module, name)
                setattr(package, name, found[name])
        artifacts = importlib.import_module("presidio_analyzer.nlp_engine.nlp_artifacts")
        nlp_engine.NlpArtifacts = artifacts.NlpArtifacts  # type: ignore[attr-defined]
        ip = importlib.import_module(f"{_GENERIC}.ip_recognizer").IpRecognizer
        iban = importlib.import_module(f"{_GENERIC}.iban_recognizer").IbanRecognizer
        timeout = sys.modules["presidio_analyzer.pattern_recognizer"].REGEX_TIMEOUT_SECONDS
    # The package init's own logging set-up, which the stand-ins skipped.
    logging.getLogger("presidio-analyzer").addHandler(logging.NullHandler())
    return types.SimpleNamespace(
        LocalRecognizer=found["LocalRecognizer"],
        RecognizerResult=found["RecognizerResult"],
        PatternRecognizer=found["PatternRecognizer"],
        Pattern=found["Pattern"],
        IpRecognizer=ip,
        IbanRecognizer=iban,
        REGEX_TIMEOUT_SECONDS=timeout,
    )
