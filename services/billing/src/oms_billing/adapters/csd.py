"""The company's CSD (Certificado de Sello Digital, Mexico): loaded from the files SAT
issues (a DER certificate and a DER PKCS#8 private key encrypted with its password), or a
test one made here in the shape SAT's CSDs have, for the dev stack and the tests (and the
local stamping provider's own certificate, a PAC's shape)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from satcfdi.models import Signer


@dataclass(frozen=True)
class CsdFiles:
    """A CSD as SAT hands it over: the certificate, the key and the key's password."""

    certificate: bytes
    key: bytes
    password: str


def load_csd(certificate_path: str, key_path: str, password: str) -> Signer:
    """The CSD in the files named by the settings; its key must match the certificate."""
    return Signer.load(
        certificate=Path(certificate_path).read_bytes(),
        key=Path(key_path).read_bytes(),
        password=password,
    )


def make_test_csd_files(
    rfc: str,
    name: str,
    certificate_number: str = "30001000000500003416",
    *,
    pac: bool = False,
    password: str = "12345678a",  # noqa: S107 - a throw-away test CSD's
) -> CsdFiles:
    """A self-signed certificate and encrypted key as SAT issues a CSD: the RFC in
    x500UniqueIdentifier, the 20-digit certificate number as the serial's ASCII, two
    extensions (basic constraints, key usage). ``pac``: a PAC's, naming its RFC in the
    organizational unit, as the stamp's RfcProvCertif is read from it."""
    if len(certificate_number) != 20 or not certificate_number.isdigit():
        raise ValueError("a certificate number has 20 digits")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, f"{rfc} / "),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, " / "),
    ]
    if pac:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"PAC{rfc}"))
    subject = x509.Name(attributes)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int(certificate_number.encode("ascii").hex(), 16))
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=4 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return CsdFiles(
        certificate=certificate.public_bytes(serialization.Encoding.DER),
        key=key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password.encode()),
        ),
        password=password,
    )


def make_test_csd(rfc: str, name: str, *, pac: bool = False) -> Signer:
    """A test CSD (``make_test_csd_files``) ready to seal with."""
    files = make_test_csd_files(
        rfc, name, "30001000000500003417" if pac else "30001000000500003416", pac=pac
    )
    return Signer.load(certificate=files.certificate, key=files.key, password=files.password)
