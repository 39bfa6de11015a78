"""Rendering in the Jinja2 sandbox: variables are required, unsafe templates are refused."""

from __future__ import annotations

import pytest

from graph_sitter.errors import GraphSitterError
from graph_sitter.prompts.errors import MissingVariable, PromptRenderError, UnsafeTemplate
from graph_sitter.prompts.rendering import render_template, template_variables


def test_renders_variables_loops_and_filters_without_escaping() -> None:
    text = render_template(
        "Review {{ name }} <{{ lang|upper }}>:\n{% for f in files %}- {{ f }}\n{% endfor %}",
        {"name": "a & b", "lang": "py", "files": ["x.py", "y.py"]},
    )
    assert text == "Review a & b <PY>:\n- x.py\n- y.py\n"


def test_missing_variable_is_a_clear_error() -> None:
    with pytest.raises(MissingVariable, match="'topic' is undefined"):
        render_template("Tell me about {{ topic }}", {})
    assert isinstance(MissingVariable("x"), GraphSitterError)


def test_optional_variables_can_be_tested() -> None:
    assert render_template("{% if extra is defined %}{{ extra }}{% else %}none{% endif %}", {}) == "none"


@pytest.mark.parametrize("template", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cls.mro() }}",
    "{{ (''|attr('__class__')) }}",
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ '{0.__class__}'.format(1) }}",
    "{% set xs = [1] %}{{ xs.append(2) }}",
])
def test_sandbox_refuses_unsafe_templates(template: str) -> None:
    with pytest.raises(UnsafeTemplate, match="sandbox"):
        render_template(template, {"cls": str})


def test_runaway_and_broken_templates_are_render_errors() -> None:
    with pytest.raises(PromptRenderError, match="range"):
        render_template("{% for i in range(10**9) %}{% endfor %}", {})
    with pytest.raises(PromptRenderError, match="line 2"):
        render_template("ok\n{% if %}", {})
    with pytest.raises(PromptRenderError, match="ZeroDivisionError"):
        render_template("{{ 1 / 0 }}", {})


def test_template_variables_lists_what_a_template_reads() -> None:
    assert template_variables("{{ b }} {% for x in items %}{{ x }}{{ a.c }}{% endfor %}") == ["a", "b", "items"]
    with pytest.raises(PromptRenderError, match="syntax"):
        template_variables("{{ oops")
