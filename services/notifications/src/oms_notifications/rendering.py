"""The e-mails' text: templates per document type and language, rendered in a sandbox, with
dates, numbers and money formatted for the language (Babel).

A template reaches only the variables it is given, all strings: those of its document type
(``VARIABLES``) plus ``company_name``, ``recipient_name`` and ``customer_name``; an absent
value is "". The environment is Jinja's immutable sandbox with no loader and no globals,
autoescape off (plain-text mail). A template is refused when it is saved (422, naming
``subject`` or ``body``) if it does not parse, reaches for an attribute or key starting with
"_" (Python's internals), includes, imports or extends another template, defines macros,
nests loops, or fails to render with sample values; at send time a template that fails makes
its notification ``failed`` with the reason. Multiplying a text past a size, powers and an
output past a size are refused while rendering (a template must not be able to exhaust the
worker)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import Template, TemplateError, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from oms_kit.domain import InvalidInput

from oms_notifications.domain.documents import (
    INVOICE_STAMPED,
    LANGUAGES,
    ORDER_CONFIRMED,
    ORDER_STATUS_CHANGED,
    PAYMENT_RECEIVED,
    QUOTE_SENT,
    STOCK_AVAILABLE,
)

#: The Babel locale of each language.
LOCALES = {"pt": "pt_BR", "es": "es_MX", "pl": "pl_PL", "en": "en_US", "de": "de_DE"}

#: The variables of each document type's templates (besides ``COMMON``).
VARIABLES: dict[str, tuple[str, ...]] = {
    QUOTE_SENT: ("quote_id", "total", "valid_until"),
    ORDER_CONFIRMED: ("order_id", "total", "expected_delivery_date"),
    ORDER_STATUS_CHANGED: ("order_id", "status", "previous_status", "reason"),
    INVOICE_STAMPED: ("invoice_number", "order_id", "total", "stamped_at", "stamp_uuid"),
    PAYMENT_RECEIVED: ("invoice_number", "order_id", "amount", "open_after", "paid_at"),
    STOCK_AVAILABLE: ("sku", "product_name", "available"),
}
COMMON = ("company_name", "recipient_name", "customer_name")

MONEY = frozenset({"total", "amount", "open_after"})
DATES = frozenset({"valid_until", "expected_delivery_date", "stamped_at", "paid_at"})
NUMBERS = frozenset({"available"})
STATUSES = frozenset({"status", "previous_status"})

#: Raw sample values a template is tried with before it is saved.
SAMPLE = {
    "quote_id": "Q-1001",
    "order_id": "O-1001",
    "invoice_number": "A-1001",
    "total": "1234.50",
    "amount": "500.00",
    "open_after": "734.50",
    "currency": "EUR",
    "valid_until": "2026-01-31",
    "expected_delivery_date": "2026-02-15",
    "stamped_at": "2026-01-10T12:00:00+00:00",
    "paid_at": "2026-01-20T09:30:00+00:00",
    "stamp_uuid": "6F1C7C3A-0D1E-4B8E-9A31-5C2B7E0F1A2B",
    "status": "shipped",
    "previous_status": "confirmed",
    "reason": "",
    "sku": "SKU-1",
    "product_name": "Sample product",
    "available": "12",
    "recipient_name": "Sample Recipient",
    "customer_name": "Sample Customer",
}

#: The most a template renders to, and the longest text a multiplication may make.
MAX_OUTPUT = 100_000
#: Compiled templates kept per process: the defaults (types x languages) and saved ones.
COMPILED_TEMPLATES = 256
MAX_REPEAT = 10_000

DEFAULTS_PACKAGE = "oms_notifications"
DEFAULTS_FOLDER = "templates"


class TemplateRefused(InvalidInput):
    """A template that cannot be saved: 422 naming ``subject`` or ``body``."""


class RenderFailed(Exception):
    """A template that fails at send time (the notification is then ``failed``)."""


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


class DefaultTemplates:
    """The shipped templates: ``templates/<language>.toml``, one table per document type
    with ``subject`` and ``body``, and a ``[status]`` table of order status labels. A
    language or type missing falls back to English."""

    def __init__(self, tables: Mapping[str, Mapping[str, Any]]) -> None:
        self.tables = tables

    @classmethod
    def shipped(cls) -> DefaultTemplates:
        folder = resources.files(DEFAULTS_PACKAGE) / DEFAULTS_FOLDER
        tables = {}
        for language in LANGUAGES:
            file = folder / f"{language}.toml"
            if file.is_file():
                tables[language] = tomllib.loads(file.read_text(encoding="utf-8"))
        return cls(tables)

    def text(self, document_type: str, language: str) -> Text:
        for tried in (language, "en"):
            table = self.tables.get(tried, {}).get(document_type)
            if table:
                return Text(str(table["subject"]), str(table["body"]).lstrip("\n"))
        raise LookupError(f"no default template for {document_type} in {language} or en")

    def status_label(self, language: str, status: str) -> str:
        for tried in (language, "en"):
            label = self.tables.get(tried, {}).get("status", {}).get(status)
            if label:
                return str(label)
        return status.replace("_", " ")


class MailSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with powers refused and text multiplication bounded."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("powers are not allowed in templates")
        sizes = [len(side) for side in (left, right) if isinstance(side, str | list | tuple)]
        counts = [side for side in (left, right) if isinstance(side, int)]
        if sizes and counts and sizes[0] * counts[0] > MAX_REPEAT:
            raise SecurityError(f"a template may not make a text longer than {MAX_REPEAT}")
        return super().call_binop(context, operator, left, right)


_REFUSED_NODES: dict[type[nodes.Node], str] = {
    nodes.Macro: "macros",
    nodes.CallBlock: "call blocks",
    nodes.Include: "includes",
    nodes.Import: "imports",
    nodes.FromImport: "imports",
    nodes.Extends: "extends",
}


def _refusals(tree: nodes.Node) -> Iterator[str]:
    for node in tree.find_all(nodes.Node):
        refused = _REFUSED_NODES.get(type(node))
        if refused:
            yield f"{refused} are not allowed in templates"
        elif isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            yield f"access to attribute {node.attr!r} is not allowed"
        elif (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
            and node.arg.value.startswith("_")
        ):
            yield f"access to key {node.arg.value!r} is not allowed"
        elif isinstance(node, nodes.Filter) and node.name == "attr" and not _plain_name(node):
            yield "the attr filter may name only a plain attribute"
        elif isinstance(node, nodes.For) and _nests_a_loop(node):
            yield "loops may not be nested"


def _plain_name(attr: nodes.Filter) -> bool:
    """``|attr(name)`` with a constant name that does not start with "_"."""
    return (
        len(attr.args) == 1
        and isinstance(attr.args[0], nodes.Const)
        and isinstance(attr.args[0].value, str)
        and not attr.args[0].value.startswith("_")
    )


def _nests_a_loop(loop: nodes.For) -> bool:
    return any(
        isinstance(inner, nodes.For)
        for child in loop.body
        for inner in (child, *child.find_all(nodes.For))
    )


class Renderer:
    """Checks templates when they are saved and renders them at send time."""

    def __init__(self, defaults: DefaultTemplates, company_name: str) -> None:
        self.defaults = defaults
        self.company_name = company_name
        self.environment = MailSandbox(autoescape=False, keep_trailing_newline=True)
        self.environment.globals.clear()
        # Parsing and compiling a template cost more than rendering it, and a mail's text
        # is one of a few (the shipped defaults and the company's own): each is compiled
        # once per process. A changed template is another source, so never stale.
        self._compiled = lru_cache(maxsize=COMPILED_TEMPLATES)(self._compile)

    # --- saving ---------------------------------------------------------------------------

    def check(self, document_type: str, language: str, text: Text) -> None:
        """Refuse (``TemplateRefused`` naming the field) a template that does not parse,
        reaches for what it must not, or fails with sample values."""
        sample = self.variables(document_type, language, SAMPLE)
        for field, source in (("subject", text.subject), ("body", text.body)):
            try:
                tree = self.environment.parse(source)
            except TemplateSyntaxError as exc:
                raise TemplateRefused(f"{field}: {exc.message} (line {exc.lineno})", field) from exc
            for refusal in _refusals(tree):
                raise TemplateRefused(f"{field}: {refusal}", field)
            try:
                self._render(source, sample)
            except (TemplateError, RenderFailed, ArithmeticError, TypeError, ValueError) as exc:
                raise TemplateRefused(f"{field}: {exc}", field) from exc

    # --- sending --------------------------------------------------------------------------

    def render(
        self, document_type: str, language: str, text: Text, raw: Mapping[str, str | None]
    ) -> Text:
        """The subject (one line) and body of the e-mail, for ``raw`` values (unformatted:
        decimal strings, ISO dates, status codes, plus ``currency``)."""
        variables = self.variables(document_type, language, raw)
        try:
            subject = self._render(text.subject, variables)
            body = self._render(text.body, variables)
        except RenderFailed:
            raise
        except Exception as exc:
            raise RenderFailed(f"the {document_type} template in {language}: {exc}") from exc
        return Text(" ".join(subject.split()), body)

    def _compile(self, source: str) -> Template:
        tree = self.environment.parse(source)
        for refusal in _refusals(tree):
            raise RenderFailed(refusal)
        return self.environment.from_string(tree)

    def _render(self, source: str, variables: Mapping[str, str]) -> str:
        template = self._compiled(source)
        out: list[str] = []
        size = 0
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise RenderFailed(f"the text is longer than {MAX_OUTPUT} characters")
            out.append(chunk)
        return "".join(out)

    def variables(
        self, document_type: str, language: str, raw: Mapping[str, str | None]
    ) -> dict[str, str]:
        """The template's variables, formatted for ``language``; absent ones are ""."""
        locale = LOCALES[language]
        currency = raw.get("currency") or ""
        variables = {}
        for name in (*VARIABLES[document_type], *COMMON):
            value = raw.get(name)
            variables[name] = self._format(name, value, locale, language, currency) if value else ""
        variables["company_name"] = raw.get("company_name") or self.company_name
        return variables

    def _format(self, name: str, value: str, locale: str, language: str, currency: str) -> str:
        try:
            if name in MONEY:
                amount = Decimal(value)
                if currency:
                    return str(format_currency(amount, currency, locale=locale))
                return str(format_decimal(amount, format="#,##0.00", locale=locale))
            if name in NUMBERS:
                return str(format_decimal(Decimal(value), locale=locale))
            if name in DATES:
                return str(format_date(_day(value), format="long", locale=locale))
        except (InvalidOperation, ValueError):
            return value
        if name in STATUSES:
            return self.defaults.status_label(language, value)
        return value


def _day(value: str) -> date:
    if "T" in value or " " in value:
        return datetime.fromisoformat(value).date()
    return date.fromisoformat(value)
