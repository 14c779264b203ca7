"""What the browser tests share: the viewports, a new page on the portal, signing in by
the labelled fields, the page's width, and screenshots under the test's tmp_path."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize
from portal_server import PortalServer

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 812}


class Screens:
    """Full-page screenshots under the test's tmp_path, their paths printed."""

    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder = folder
        self.capsys = capsys
        self.count = 0

    def shot(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        with self.capsys.disabled():
            print(f"\nscreenshot: {path}")
        return path


def new_page(browser: Browser, portal: PortalServer, **options: Any) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=portal.url, viewport=DESKTOP, **options)
    context.set_default_timeout(20_000)
    return context, context.new_page()


class Credentials(Protocol):
    @property
    def username(self) -> str: ...
    @property
    def password(self) -> str: ...


def sign_in(page: Page, person: Credentials, labels: tuple[str, str, str] | None = None) -> None:
    username, password, button = labels or ("Username", "Password", "Sign in")
    page.goto("/")
    page.get_by_label(username).fill(person.username)
    page.get_by_label(password).fill(person.password)
    page.get_by_role("button", name=button).click()


def no_sideways_scroll(page: Page) -> int:
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width


def each_fits_a_phone(
    page: Page, screens: Screens, pages: Iterable[tuple[str, str]], prefix: str = "phone-"
) -> None:
    """Each page (a name, its address) opens and never scrolls sideways on the phone's
    width; a screenshot of each."""
    for name, url in pages:
        answer = page.goto(url)
        assert answer is not None and answer.status == 200, url
        assert no_sideways_scroll(page) <= PHONE["width"], url
        screens.shot(page, f"{prefix}{name}")


def posted_twice(page: Page, url: str, form: dict[str, str | float | bool]) -> str:
    """The same form posted twice (a re-post, a double click, a second tab): both answers
    send the browser to one place, which this returns."""
    answers = [page.request.post(url, form=form, max_redirects=0) for _ in range(2)]
    assert [answer.status for answer in answers] == [303, 303]
    first, second = (answer.headers["location"] for answer in answers)
    assert first == second
    return first
