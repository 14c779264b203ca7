"""What the portal decides on its own, with no service behind it: its settings refuse an
unsafe session key, the session cookie is signed (an altered one is ignored), HttpOnly,
SameSite=Lax and Secure outside the dev stack; a POST without the form code is refused
with the 403 page; an unknown page is the 404 page; the pages carry the security
headers; every language has every word, and the templates use only words that exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from oms_portal.bootstrap import bootstrap
from oms_portal.i18n import FALLBACK, LANGUAGES, Translator, catalog, negotiate
from oms_portal.pages.customer import planned_installments
from oms_portal.session import COOKIE, Session, SessionCodec
from oms_portal.settings import Settings
from pydantic import ValidationError

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "oms_portal" / "templates"
PAGES = Path(__file__).resolve().parents[1] / "src" / "oms_portal" / "pages"
NOWHERE = "http://127.0.0.1:9"  # no service: these pages need none
KEY = "k" * 40


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = bootstrap(dev_stack=True, orders_url=NOWHERE, billing_url=NOWHERE)
    with TestClient(app, base_url="http://portal.test") as test_client:
        yield test_client


def form_code(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


# --- settings and the cookie ---------------------------------------------------------------


def test_outside_the_dev_stack_a_session_key_is_required_and_long() -> None:
    with pytest.raises(ValidationError, match="OMS_PORTAL_SESSION_KEY is required"):
        Settings(dev_stack=False)
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(dev_stack=False, portal_session_key="short")
    assert Settings(dev_stack=False, portal_session_key=KEY).secure_cookies
    assert not Settings(dev_stack=True).secure_cookies


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_outside_the_dev_stack() -> None:
    for dev_stack, secure in ((True, False), (False, True)):
        app = bootstrap(dev_stack=dev_stack, portal_session_key=KEY, orders_url=NOWHERE)
        with TestClient(app, base_url="https://portal.test") as test_client:
            answer = test_client.get("/sign-in")
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_a_session_reads_back_only_with_its_signature_intact() -> None:
    codec = SessionCodec(b"one key that signs the session cookies")
    session = Session(token="t", expires_at=1.5, username="ana", role="customer", language="pl")
    value = codec.dumps(session)
    assert codec.loads(value) == session
    payload, signature = value.split(".")
    assert codec.loads(payload[:-2] + "xx." + signature) is None
    assert codec.loads(value[:-2]) is None
    assert SessionCodec(b"another key").loads(value) is None
    assert codec.loads("not a cookie") is None
    assert codec.loads(None) is None


def test_an_altered_cookie_counts_as_none(client: TestClient) -> None:
    client.cookies.set(COOKIE, "eyJ0b2tlbiI6InN0b2xlbiJ9.bm90LWEtc2lnbmF0dXJl")
    answer = client.get("/customer", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Fcustomer"


# --- forms, errors, headers ----------------------------------------------------------------


def test_a_post_without_the_form_code_or_with_another_is_refused(client: TestClient) -> None:
    page = client.get("/sign-in", headers={"Accept-Language": "de-DE,de;q=0.9"})
    code = form_code(page.text)
    refused = [
        client.post("/sign-in", data={"username": "ana", "password": "x"}),
        client.post("/sign-in", data={"username": "ana", "password": "x", "csrf_token": "x"}),
        client.post("/sign-in", json={"username": "ana", "csrf_token": code}),
        client.post("/sign-out", data={}),
    ]
    for answer in refused:
        assert answer.status_code == 403
        # The company's language: these requests name none.
        assert "Este formulário não pôde ser aceito" in answer.text
    # With the code the form goes through to the service (here: none, the page says so).
    through = client.post("/sign-in", data={"username": "ana", "password": "x", "csrf_token": code})
    assert through.status_code == 503


def test_an_unknown_page_is_the_not_found_page_and_pages_carry_security_headers(
    client: TestClient,
) -> None:
    answer = client.get("/no/such/page", headers={"Accept-Language": "pl"})
    assert answer.status_code == 404
    assert "Nie znaleziono strony" in answer.text
    assert "Traceback" not in answer.text
    page = client.get("/sign-in")
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


def test_the_sign_in_page_follows_the_browser_else_the_company_language() -> None:
    app = bootstrap(dev_stack=True, orders_url=NOWHERE, company_language="de")
    with TestClient(app) as test_client:
        spanish = test_client.get("/sign-in", headers={"Accept-Language": "fr, es;q=0.8"})
        company = test_client.get("/sign-in", headers={"Accept-Language": "fr"})
    assert '<html lang="es">' in spanish.text and ">Usuario</label>" in spanish.text
    assert '<html lang="de">' in company.text and ">Benutzername</label>" in company.text


def test_sign_in_sends_nobody_to_another_site(client: TestClient) -> None:
    for wanted in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        page = client.get("/sign-in", params={"next": wanted})
        assert "evil.example" not in page.text


# --- words and formats ---------------------------------------------------------------------


def test_every_language_has_the_words_of_every_other() -> None:
    english = set(catalog(FALLBACK))
    for language in LANGUAGES:
        words = catalog(language)
        assert set(words) == english, language
        assert all(text.strip() for text in words.values()), language
        for key, text in words.items():
            placeholders = set(re.findall(r"{(\w+)}", text))
            assert placeholders == set(re.findall(r"{(\w+)}", catalog(FALLBACK)[key])), key


def test_the_templates_and_pages_use_only_words_that_exist() -> None:
    english = set(catalog(FALLBACK))
    used: set[str] = set()
    for path in [*TEMPLATES.rglob("*.html"), *PAGES.glob("*.py")]:
        text = path.read_text()
        used |= set(re.findall(r"""t\(\s*["']([a-z_]+\.[a-z_]+)["']""", text))
        named = re.findall(
            r"""["']((?:error|proposal|order|sign_in|rep_[a-z]+|approval|payment)\.[a-z_]+)["']""",
            text,
        )
        used |= {key for key in named if not key.endswith(".html")}
    assert used, "no words found"
    assert used <= english, sorted(used - english)


def test_the_accept_language_header_picks_by_weight() -> None:
    assert negotiate("pt-BR,pt;q=0.9,en;q=0.8", "en") == "pt"
    assert negotiate("fr-FR, de;q=0.5, pl;q=0.7", "en") == "pl"
    assert negotiate("fr, it", "es") == "es"
    assert negotiate("en;q=0, de", "pt") == "de"
    assert negotiate(None, "pt") == "pt"
    assert negotiate("de;q=abc, es", "pt") == "es"


def test_money_numbers_and_dates_are_written_the_languages_way() -> None:
    assert Translator("pt").money("1234.50", "BRL") == "R$\xa01.234,50"
    assert Translator("en").money(Decimal("1234.5"), "USD") == "$1,234.50"
    assert Translator("de").money("1234.50", "EUR") == "1.234,50\xa0€"
    assert Translator("pl").day("2026-12-03") == "3 gru 2026"
    assert Translator("en").percent("5") == "5%"
    assert Translator("en").size(48) == "48 B"
    assert Translator("xx").language == FALLBACK
    assert Translator("es").status("awaiting_invoicing") == "Pendiente de facturación"
    assert Translator("es").status("brand_new_status") == "brand new status"


def test_installments_split_the_total_to_the_cent_the_last_taking_the_rest() -> None:
    assert planned_installments(Decimal("100.00"), [30, 60, 90]) == [
        (30, Decimal("33.33")),
        (60, Decimal("33.33")),
        (90, Decimal("33.34")),
    ]
    assert planned_installments(Decimal("10.00"), []) == []
