"""The attached documents, fetched from the services that own them (never rendered here):
the proposal PDF from orders, the invoice PDF and fiscal XML from billing, with the
service's own credential (a client-credentials token from orders' ``POST /auth/token``)."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import httpx

from oms_notifications.domain.documents import INVOICE_PDF, INVOICE_XML, PROPOSAL_PDF
from oms_notifications.domain.notification import Attempt
from oms_notifications.sending.sender import Document, DocumentUnavailable

#: A token is renewed this long before it expires.
TOKEN_MARGIN_S = 30.0


def safe_name(value: str) -> str:
    """A file name part with nothing a mail client could take for a path."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", value).strip("._") or "document"


class HttpDocumentSource:
    def __init__(
        self,
        orders_url: str,
        billing_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.orders_url = orders_url.rstrip("/")
        self.billing_url = billing_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = httpx.Client(timeout=timeout_s, transport=transport)
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the secret
        return f"HttpDocumentSource({self.orders_url}, {self.billing_url}, {self._client_id!r})"

    def fetch(self, kind: str, attempt: Attempt) -> Document:
        number = attempt.facts.get("invoice_number") or attempt.document_id
        if kind == PROPOSAL_PDF:
            url = f"{self.orders_url}/quotes/{attempt.document_id}/pdf"
            filename, content_type = (
                f"proposal-{safe_name(attempt.document_id)}.pdf",
                "application/pdf",
            )
        elif kind == INVOICE_PDF:
            url = f"{self.billing_url}/invoices/{attempt.document_id}/pdf"
            filename, content_type = f"{safe_name(number)}.pdf", "application/pdf"
        elif kind == INVOICE_XML:
            url = f"{self.billing_url}/invoices/{attempt.document_id}/xml"
            filename, content_type = f"{safe_name(number)}.xml", "application/xml"
        else:
            raise DocumentUnavailable(f"no document of kind {kind!r}")
        answer = self._get(url)
        if answer.status_code == 401:  # the token expired early or the keys rotated
            self._forget_token()
            answer = self._get(url)
        if answer.status_code != 200:
            raise DocumentUnavailable(f"{kind}: GET {url} answered {answer.status_code}")
        return Document(filename, content_type, answer.content)

    def _get(self, url: str) -> httpx.Response:
        try:
            return self._http.get(url, headers={"Authorization": f"Bearer {self._bearer()}"})
        except httpx.HTTPError as exc:
            raise DocumentUnavailable(f"GET {url}: {exc}") from exc

    def _bearer(self) -> str:
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires:
                self._token, lifetime = self._new_token()
                self._expires = time.monotonic() + max(lifetime - TOKEN_MARGIN_S, 1.0)
            return self._token

    def _forget_token(self) -> None:
        with self._lock:
            self._token = None

    def _new_token(self) -> tuple[str, float]:
        url = f"{self.orders_url}/auth/token"
        try:
            answer = self._http.post(
                url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                },
            )
        except httpx.HTTPError as exc:
            raise DocumentUnavailable(f"POST {url}: {exc}") from exc
        if answer.status_code != 200:
            raise DocumentUnavailable(
                f"the service client {self._client_id!r} got no token: POST {url} answered "
                f"{answer.status_code}"
            )
        body: dict[str, Any] = answer.json()
        return str(body["access_token"]), float(body.get("expires_in", 300))

    def close(self) -> None:
        self._http.close()
