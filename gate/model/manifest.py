"""`evidence-manifest.json`: every artifact with its SHA-256 and size, and every captured command."""

from __future__ import annotations

from typing import Literal

from gate.model.base import Field, Id, Model, RepoPath, Sha256Hex, Text, UtcTime


class Artifact(Model):
    """One evidence file, at a repository-relative path."""

    id: Id
    path: RepoPath
    sha256: Sha256Hex
    size: int = Field(ge=0)
    items: list[Id] = Field(default_factory=list)
    areas: list[Id] = Field(default_factory=list)
    captured_at: UtcTime
    kind: Literal["document", "report", "output", "record"] = "document"
    description: Text | None = None


class Command(Model):
    """A command run as evidence: how it was run, how it ended, and the artifacts holding its output."""

    id: Id
    argv: list[str] = Field(min_length=1)
    cwd: Text = "."
    exit_code: int
    started_at: UtcTime
    ended_at: UtcTime
    stdout: Id
    stderr: Id
    items: list[Id] = Field(default_factory=list)
    areas: list[Id] = Field(default_factory=list)


class Manifest(Model):
    """The whole manifest."""

    schema_: Text | None = Field(default=None, alias="$schema")
    version: Literal[1]
    artifacts: list[Artifact] = Field(default_factory=list)
    commands: list[Command] = Field(default_factory=list)
