"""The portal's words in each language (``<language>.toml`` beside this module, written by
people, one table per page), and money, numbers and dates formatted for the language
(Babel). Before sign-in the browser's ``Accept-Language`` chooses, else the company's
language; once signed in, the user's own (``GET /users/me``)."""

from __future__ import annotations

import logging
import tomllib
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
#: The languages the system speaks (DESIGN section 5), English the fallback of a word.
LANGUAGES = ("pt", "es", "pl", "en", "de")
FALLBACK = "en"
#: The locale each language's numbers and dates are formatted in (as the documents are).
LOCALES = {"pt": "pt_BR", "es": "es_ES", "pl": "pl_PL", "en": "en_US", "de": "de_DE"}


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    words: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            words.update(_flatten(value, f"{prefix}{key}."))
        else:
            words[f"{prefix}{key}"] = str(value)
    return words


@cache
def catalog(language: str) -> dict[str, str]:
    """Every word of ``language``, by dotted key (``sign_in.username``)."""
    with (HERE / f"{language}.toml").open("rb") as file:
        return _flatten(tomllib.load(file))


def negotiate(accept_language: str | None, default: str) -> str:
    """The first language of an ``Accept-Language`` header that the portal speaks, by the
    weights it gives (``pt-BR,pt;q=0.9,en;q=0.8``); ``default`` when none."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in LANGUAGES and weight > 0:
            choices.append((-weight, position, language))
    return min(choices)[2] if choices else default


class Translator:
    """The words and formats of one language, as the templates use them:
    ``t("sign_in.username")``, ``t.money("10.00", "EUR")``, ``t.day(issued_at)``."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else FALLBACK
        self.locale = LOCALES[self.language]
        self.words = catalog(self.language)

    def __call__(self, key: str, **values: Any) -> str:
        text = self.words.get(key)
        if text is None:
            text = catalog(FALLBACK).get(key)
            if text is None:
                log.warning("no words for %s", key)
                return key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.words

    def status(self, code: str | None) -> str:
        """An order's, proposal's or invoice's status in words (the code itself when the
        portal does not know it yet)."""
        if not code:
            return ""
        key = f"status.{code}"
        return self(key) if self.has(key) else code.replace("_", " ")

    def money(self, amount: Decimal | str | None, currency: str) -> str:
        value = _decimal(amount)
        if value is None:
            return ""
        return format_currency(value, currency, locale=self.locale)

    def number(self, value: Decimal | str | int | float | None) -> str:
        number = _decimal(value)
        if number is None:
            return ""
        if number == number.to_integral():
            number = number.quantize(Decimal(1))
        return format_decimal(number, locale=self.locale)

    def percent(self, value: Decimal | str | None) -> str:
        """A percentage given as such (``"5"`` is 5 %)."""
        number = _decimal(value)
        if number is None:
            return ""
        return format_percent(number / 100, format="#,##0.##%", locale=self.locale)

    def day(self, value: date | datetime | str | None) -> str:
        when = _when(value)
        if when is None:
            return ""
        if isinstance(when, datetime):
            when = when.date()
        return format_date(when, format="medium", locale=self.locale)

    def moment(self, value: datetime | str | None) -> str:
        when = _when(value)
        if when is None:
            return ""
        if not isinstance(when, datetime):
            return self.day(when)
        return format_datetime(when, format="medium", locale=self.locale)

    def size(self, size: int | None) -> str:
        """A file's size (kB, MB), as a person reads it."""
        if size is None:
            return ""
        if size < 1024:
            return f"{format_decimal(size, locale=self.locale)} B"
        if size < 1024 * 1024:
            kilobytes = Decimal(size) / 1024
            return f"{format_decimal(kilobytes.quantize(Decimal('0.1')), locale=self.locale)} kB"
        megabytes = Decimal(size) / (1024 * 1024)
        return f"{format_decimal(megabytes.quantize(Decimal('0.1')), locale=self.locale)} MB"


def _decimal(value: Decimal | str | int | float | None) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _when(value: date | datetime | str | None) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        if "T" in value:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        return date.fromisoformat(value)
    except ValueError:
        return None
