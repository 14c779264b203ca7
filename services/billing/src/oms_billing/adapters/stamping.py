"""A local stamping provider: signs the invoice document with RSA-SHA256 and returns a
folio UUID, as a tax authority's provider (PAC) would. For development and tests; a real
provider implements the same ``StampingProvider`` port."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from oms_billing.application.stamping import Stamp, StampingFailed


class LocalStampingProvider:
    name = "local-rsa"

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._key = private_key

    @classmethod
    def generate(cls) -> LocalStampingProvider:
        """A provider with a fresh key pair (when no key file is configured)."""
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def from_file(cls, path: str | Path) -> LocalStampingProvider:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{path}: not an RSA private key")
        return cls(key)

    def stamp(self, invoice_xml: bytes) -> Stamp:
        if not invoice_xml:
            raise StampingFailed("empty document")
        signature = self._key.sign(invoice_xml, padding.PKCS1v15(), hashes.SHA256())
        return Stamp(
            uuid=str(uuid.uuid4()).upper(),
            stamped_at=datetime.now(UTC),
            signature=base64.b64encode(signature).decode("ascii"),
            provider=self.name,
        )

    def verify(self, invoice_xml: bytes, signature: str) -> bool:
        """Whether ``signature`` is this provider's signature of exactly ``invoice_xml``."""
        try:
            self._key.public_key().verify(
                base64.b64decode(signature), invoice_xml, padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return False
        return True
