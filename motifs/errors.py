"""Errors of the application shell (the main job). Messages say what was received and what was expected."""

from __future__ import annotations


class MotifsError(Exception):
    """Base class of the shell's errors."""


class DemoJobError(MotifsError):
    """The main job (`motifs demo`) cannot run: a folder it cannot write, a bad setting."""
