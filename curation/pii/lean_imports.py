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

import functools
import importlib
import importlib.util
import logging
import sys
import threading
import types
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


def _spacy_without_cli() -> None:
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("spacy is not installed as a package")
    root = list(spec.submodule_search_locations)[0]
    before = set(sys.modules)
    cli = types.ModuleType("spacy.cli")
    cli.__path__ = [f"{root}/cli"]
    info = types.ModuleType("spacy.cli.info")
    info.info = _spacy_info  # type: ignore[attr-defined]
    stand_ins = {"spacy.cli": cli, "spacy.cli.info": info}
    sys.modules.update(stand_ins)
    try:
        import spacy  # noqa: F401
    except Exception:
        for name in set(sys.modules) - before:
            if name == "spacy" or name.startswith("spacy."):
                del sys.modules[name]
        raise
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
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
    spec = importlib.util.find_spec("presidio_analyzer")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("presidio_analyzer is not installed as a package")
    root = list(spec.submodule_search_locations)[0]
    before = set(sys.modules)
    stand_ins: dict[str, types.ModuleType] = {}

    def stand_in(name: str, folder: str) -> types.ModuleType:
        module = types.ModuleType(name)
        module.__path__ = [f"{root}/{folder}" if folder else root]
        sys.modules[name] = stand_ins[name] = module
        return module

    try:
        package = stand_in("presidio_analyzer", "")
        nlp_engine = stand_in("presidio_analyzer.nlp_engine", "nlp_engine")
        stand_in("presidio_analyzer.predefined_recognizers", "predefined_recognizers")
        stand_in(_GENERIC, "predefined_recognizers/generic")
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
    except Exception:
        # Leave nothing half-imported behind: the ordinary import starts from scratch.
        for name in set(sys.modules) - before:
            if name.startswith("presidio_analyzer"):
                del sys.modules[name]
        raise
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
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
