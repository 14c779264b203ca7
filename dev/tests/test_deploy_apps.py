"""The Kubernetes files of an app (the portal) are written by hand, not generated: the
generated whole-system kustomization takes its folder in, and a missing folder is drift."""

from __future__ import annotations

from pathlib import Path

from oms_dev.deploy import drift, rendered_files, write


def test_the_system_takes_in_each_app_and_a_missing_one_is_drift(tmp_path: Path) -> None:
    assert "  - portal\n" in rendered_files()["deploy/k8s/kustomization.yaml"]
    write(tmp_path)
    missing = (
        "deploy/k8s/portal/kustomization.yaml (an app's Deployment and Service, written by hand)"
    )
    assert drift(tmp_path) == [missing]
    (tmp_path / "deploy/k8s/portal").mkdir()
    (tmp_path / "deploy/k8s/portal/kustomization.yaml").write_text("kind: Kustomization\n")
    assert drift(tmp_path) == []
    assert not (tmp_path / "deploy/k8s/overlays/portal").exists(), "an app has no overlay"
