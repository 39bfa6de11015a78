"""Rendering a stored prompt version with its context, and recording how the rendered prompt did."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from graph_sitter.adapters.prompts_db import LATEST, ContextUse, PromptStore, PromptVersion
from graph_sitter.prompts.context import ContextResult, ContextSourceSpec
from graph_sitter.prompts.errors import ContextSourceError
from graph_sitter.prompts.rendering import render_template


@dataclass(frozen=True)
class RenderedPrompt:
    """A version rendered: the text, the variables given, and the context sources that fed it."""

    version: PromptVersion
    label: str | None
    text: str
    variables: dict[str, Any]
    contexts: tuple[ContextResult, ...] = ()


def ensure_context_source(store: PromptStore, spec: ContextSourceSpec) -> None:
    """Register a context source in prompts_db unless it is there already."""
    try:
        store.get_context_source(spec.name)
    except ContextSourceError:
        store.register_context_source(spec.name, spec.context_type, spec.description, spec.config)


def render_prompt(store: PromptStore, name: str, *, label: str | None = None, version: int | None = None,
                  variables: Mapping[str, Any] | None = None, contexts: Sequence[ContextResult] = ()) -> RenderedPrompt:
    """Render a template's version (by number, or by label, default `latest`) with variables and context.

    Context values go in first and explicit variables last, so a variable given by the caller wins.
    """
    chosen = store.get_version(name, label=label, version=version)
    values: dict[str, Any] = {}
    for context in contexts:
        ensure_context_source(store, context.spec)
        store.touch_context_source(context.spec.name)
        values.update(context.values)
    values.update(variables or {})
    text = render_template(chosen.content, values)
    return RenderedPrompt(chosen, None if version is not None else (label or LATEST), text, dict(variables or {}),
                          tuple(contexts))


def record_rendered(store: PromptStore, rendered: RenderedPrompt, **outcome: Any) -> uuid.UUID:
    """Record an execution of a rendered prompt; `outcome` takes record_execution's keywords (latency_ms, ...)."""
    return store.record_execution(
        rendered.version, rendered.text, label=rendered.label, variables=rendered.variables,
        context_data={c.spec.name: c.metadata for c in rendered.contexts},
        contexts=[ContextUse(c.spec.name, c.portion, c.metadata) for c in rendered.contexts],
        **outcome,
    )
