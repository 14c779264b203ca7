"""The other services of the deployment that sign in with a credential of their own (the
OAuth 2 client credentials grant), not a person's: the notifications service fetching the
proposal and invoice documents it attaches to e-mails. Their tokens carry role
``service`` and subject ``service:<client id>``; the kit lets them through only on the
routes that name the role.

They are configured (settings ``service_clients``), not registered: no event, no table.
Only a digest of each secret is kept in memory, compared in constant time; the secrets
are never logged nor returned."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

#: The role of their tokens (the kit's ``SERVICE``; a test pins it).
SERVICE = "service"
#: Their tokens' subject: ``service:<client id>``.
SUBJECT_PREFIX = "service:"


class ServiceClients:
    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._digests = {client_id: _digest(secret) for client_id, secret in secrets.items()}

    def __contains__(self, client_id: object) -> bool:
        return client_id in self._digests

    def verify(self, client_id: str, secret: str) -> bool:
        """Whether ``secret`` is the service client's. The digests are compared, so the
        time taken tells nothing of the secret, not even its length."""
        expected = self._digests.get(client_id)
        given = _digest(secret)
        return expected is not None and hmac.compare_digest(given, expected)

    def __repr__(self) -> str:
        return f"ServiceClients({sorted(self._digests)})"


def subject_of(client_id: str) -> str:
    return SUBJECT_PREFIX + client_id


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()
