"""Rendering prompt text with Jinja2 in a sandbox: no attribute tricks, no mutation, every variable required."""

from __future__ import annotations

import functools
from typing import Any, Mapping

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from graph_sitter.prompts.errors import MissingVariable, PromptRenderError, UnsafeTemplate


@functools.cache
def environment() -> ImmutableSandboxedEnvironment:
    """The one Jinja2 environment prompts render in.

    ImmutableSandboxedEnvironment refuses dunder attributes, `mro`, function internals and methods that mutate
    lists, dicts and sets; StrictUndefined turns a missing variable into an error instead of an empty string;
    autoescape is off because prompts are plain text, not HTML.
    """
    return ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )


def _syntax_error(exc: jinja2.TemplateSyntaxError) -> PromptRenderError:
    return PromptRenderError(f"template syntax error on line {exc.lineno}: {exc.message}")


def template_variables(content: str) -> list[str]:
    """The variables a template reads from its context, sorted (it also checks the syntax)."""
    try:
        ast = environment().parse(content)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(exc) from None
    return sorted(meta.find_undeclared_variables(ast))


def render_template(content: str, values: Mapping[str, Any]) -> str:
    """Render `content` with `values` in the sandbox; a missing variable or an unsafe access is a PromptRenderError."""
    env = environment()
    try:
        template = env.from_string(content)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(exc) from None
    try:
        return template.render(dict(values))
    except jinja2.exceptions.SecurityError as exc:
        raise UnsafeTemplate(f"template refused by the sandbox: {exc}") from None
    except jinja2.UndefinedError as exc:
        raise MissingVariable(f"missing template variable: {exc} (pass it with --var NAME=VALUE)") from None
    except jinja2.TemplateError as exc:
        raise PromptRenderError(f"template error: {exc}") from None
    except Exception as exc:  # template code is user input: a ZeroDivisionError or a too-big range is its fault
        raise PromptRenderError(f"template failed to render: {type(exc).__name__}: {exc}") from None
