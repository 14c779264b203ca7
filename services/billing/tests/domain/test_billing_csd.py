"""The company's CSD: loaded from the files SAT issues (certificate, encrypted key and its
password), required for a Mexican company outside the dev stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from oms_billing.adapters.csd import load_csd, make_test_csd_files
from oms_billing.settings import Settings
from pydantic import ValidationError

DSN = "postgresql://oms@127.0.0.1:5432/postgres"


def test_a_mexican_company_needs_its_csd_outside_the_dev_stack() -> None:
    with pytest.raises(ValidationError, match="OMS_CFDI_CERTIFICATE"):
        Settings(pg_dsn=DSN, fiscal_country="MX")
    Settings(pg_dsn=DSN, fiscal_country="MX", dev_stack=True)  # a test CSD is made there
    Settings(pg_dsn=DSN)  # no fiscal country: no CSD


def test_the_csd_is_read_from_the_files_sat_issues(tmp_path: Path) -> None:
    files = make_test_csd_files("EKU9003173C9", "ESCUELA KEMPER URGATE")
    (tmp_path / "csd.cer").write_bytes(files.certificate)
    (tmp_path / "csd.key").write_bytes(files.key)
    settings = Settings(
        pg_dsn=DSN,
        fiscal_country="MX",
        cfdi_certificate=str(tmp_path / "csd.cer"),
        cfdi_key=str(tmp_path / "csd.key"),
        cfdi_key_password=files.password,
    )
    assert settings.cfdi_key_password is not None
    csd = load_csd(
        str(tmp_path / "csd.cer"),
        str(tmp_path / "csd.key"),
        settings.cfdi_key_password.get_secret_value(),
    )
    assert csd.certificate_number == "30001000000500003416"
    assert str(csd.rfc) == "EKU9003173C9"
    with pytest.raises(ValueError):
        load_csd(str(tmp_path / "csd.cer"), str(tmp_path / "csd.key"), "wrong password")
