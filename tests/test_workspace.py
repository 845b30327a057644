"""A workspace in a long-running process: definitions dropped into ``catalogue/`` are seen without a restart."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from chiso import app as core
from chiso.catalogue.records import ValueInput
from chiso.errors import UnknownIndicatorError
from test_catalogue import GOOD

NEW = GOOD  # a user's own indicator: ai_services_rate, a rate


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> core.Workspace:
    monkeypatch.setattr(core, "CATALOGUE_CHECK", 0.0)  # look at the files on every access
    return core.init_workspace(tmp_path / "ws")


def test_a_new_definition_is_seen_by_the_running_workspace(ws: core.Workspace) -> None:
    engine = ws.engine
    with pytest.raises(UnknownIndicatorError):
        ws.catalogue.indicator("ai_services_rate")
    (ws.root / "catalogue" / "indicators" / "ai.yaml").write_text(NEW, encoding="utf-8")
    assert ws.catalogue.indicator("ai_services_rate").kind == "rate"
    assert ws.engine is not engine and ws.engine.catalogue is ws.catalogue  # answers use the new definitions
    ws.store.write_values(
        [ValueInput(indicator="ai_services_rate", unit="P48", period="2024", value=50.0, numerator=5,
                         denominator=10)], actor="test")
    assert ws.engine.value("ai_services_rate", "P48", "2024").value == 50.0


def test_a_broken_definition_keeps_the_last_good_catalogue(
    ws: core.Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    path = ws.root / "catalogue" / "indicators" / "ai.yaml"
    path.write_text(NEW, encoding="utf-8")
    good = ws.catalogue
    path.write_text("indicators: [\n", encoding="utf-8")
    with caplog.at_level(logging.ERROR, logger="chiso.app"):
        assert ws.catalogue is good
    assert "ai.yaml" in caplog.text and "not valid YAML" in caplog.text
    path.write_text(NEW.replace("AI", "trí tuệ nhân tạo"), encoding="utf-8")
    assert ws.catalogue is not good
    assert "trí tuệ nhân tạo" in ws.catalogue.indicator("ai_services_rate").name.vi


def test_unchanged_files_keep_the_same_catalogue(ws: core.Workspace) -> None:
    assert ws.catalogue is ws.catalogue
    assert ws.engine is ws.engine


def test_a_served_app_shows_a_new_definition_without_a_restart(ws: core.Workspace, make_client: Any) -> None:
    client = make_client(ws)
    assert client.get("/api/v1/indicators/ai_services_rate").status_code == 404
    before = client.get("/").text
    assert "ai_services_rate" not in before
    (ws.root / "catalogue" / "indicators" / "ai.yaml").write_text(NEW, encoding="utf-8")
    got = client.get("/api/v1/indicators/ai_services_rate")
    assert got.status_code == 200 and got.json()["kind"] == "rate"
    assert "ai_services_rate" in client.get("/").text  # the overview's catalogue, not a cached page
