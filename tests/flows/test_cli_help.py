"""Every CLI command is documented, and the CLI starts without heavy imports."""

from __future__ import annotations

import subprocess
import sys

import click
import typer.main

from flows.cli import app


def walk(command: click.Command, prefix: str = ""):
    yield prefix or "curate", command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, f"{prefix} {name}".strip())


def test_every_command_has_help_text():
    root = typer.main.get_command(app)
    missing = [name for name, command in walk(root) if not (command.help or "").strip()]
    assert missing == []


def test_readme_names_every_top_level_command():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    root = typer.main.get_command(app)
    undocumented = [
        name
        for name in root.commands
        if f"curate {name}" not in readme and name not in ("init", "run", "demo")
    ]
    assert undocumented == []


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from flows.cli import app; "
        "heavy = [m for m in ('prefect', 'pyiceberg', 'presidio_analyzer', 'spacy', 'fasttext') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
