"""Errors of the prompts library: each one reaches a CLI user as one clear line."""

from graph_sitter.errors import GraphSitterError


class PromptError(GraphSitterError):
    """A prompt operation was refused for a reason the user can fix."""


class PromptNotFound(PromptError):
    """No template, version, label, experiment or execution by that name or number."""


class VersionImmutable(PromptError):
    """A prompt version's content cannot change and a version cannot be deleted: add a new version instead."""


class PromptRenderError(PromptError):
    """A template failed to parse or to render."""


class MissingVariable(PromptRenderError):
    """The template uses a variable that was not given."""


class UnsafeTemplate(PromptRenderError):
    """The sandbox refused something the template tried to reach (a dunder attribute, mro, a mutating method)."""


class ExperimentError(PromptError):
    """An A/B experiment operation was refused (bad variants, unknown metric, unassigned unit, not running)."""


class ContextSourceError(PromptError):
    """A context source could not provide its data (unknown codebase or symbol, ambiguous symbol)."""
