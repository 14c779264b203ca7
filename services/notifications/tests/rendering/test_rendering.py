"""Templates: the shipped ones render in every language with values formatted for it, and a
template that reaches for Python's internals (or could exhaust the worker) is refused when
saved and renders nothing harmful."""

from __future__ import annotations

import pytest
from oms_notifications.domain.documents import DOCUMENT_TYPES, LANGUAGES
from oms_notifications.rendering import (
    SAMPLE,
    DefaultTemplates,
    Renderer,
    RenderFailed,
    TemplateRefused,
    Text,
)

RENDERER = Renderer(DefaultTemplates.shipped(), "Fábrica Exemplo")

INTERNALS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ total.__class__ }}",
    "{{ total['__class__'] }}",
    "{{ total|attr('__class__') }}",
    "{{ range(10) }}{{ lipsum() }}{{ namespace() }}",
    "{{ self._TemplateReference__context }}",
    "{% include 'x' %}",
    "{% import 'x' as x %}",
    "{% extends 'x' %}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{% for a in total %}{% for b in total %}{{ a }}{% endfor %}{% endfor %}",
    "{{ 'x' * 100000 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ total",
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("document_type", DOCUMENT_TYPES)
def test_every_shipped_template_renders(document_type: str, language: str) -> None:
    text = RENDERER.defaults.text(document_type, language)
    RENDERER.check(document_type, language, text)
    rendered = RENDERER.render(document_type, language, text, SAMPLE)
    assert rendered.subject and "\n" not in rendered.subject
    assert "{{" not in rendered.body and "Fábrica Exemplo" in rendered.body


@pytest.mark.parametrize(
    ("language", "money", "day"),
    [
        ("pt", "€\xa01.234,50", "31 de janeiro de 2026"),
        ("es", "EUR1,234.50", "31 de enero de 2026"),
        ("pl", "1\xa0234,50\xa0€", "31 stycznia 2026"),
        ("en", "€1,234.50", "January 31, 2026"),
        ("de", "1.234,50\xa0€", "31. Januar 2026"),
    ],
)
def test_money_and_dates_are_formatted_for_the_language(
    language: str, money: str, day: str
) -> None:
    variables = RENDERER.variables("quote_sent", language, SAMPLE)
    assert (variables["total"], variables["valid_until"]) == (money, day)
    assert RENDERER.variables("order_status_changed", "de", SAMPLE)["status"] == "Versandt"


def test_absent_values_render_empty() -> None:
    variables = RENDERER.variables("payment_received", "en", {"amount": "5"})
    assert variables["invoice_number"] == "" and variables["open_after"] == ""
    assert variables["company_name"] == "Fábrica Exemplo"


@pytest.mark.parametrize("source", INTERNALS)
@pytest.mark.parametrize("field", ["subject", "body"])
def test_a_template_reaching_for_internals_is_refused(source: str, field: str) -> None:
    text = Text(source if field == "subject" else "ok", source if field == "body" else "ok")
    with pytest.raises(TemplateRefused) as refused:
        RENDERER.check("quote_sent", "en", text)
    assert refused.value.field == field


@pytest.mark.parametrize("source", INTERNALS)
def test_a_template_reaching_for_internals_renders_nothing_harmful(source: str) -> None:
    """Saved somehow all the same (an older version, a database edited by hand), it fails
    at send time, or renders without reaching anything."""
    try:
        rendered = RENDERER.render("quote_sent", "en", Text("s", source), SAMPLE)
    except RenderFailed:
        return
    assert "class" not in rendered.body and "function" not in rendered.body
