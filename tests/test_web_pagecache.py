"""Rendered public pages are cached while the data holds, and a new value shows at once."""

from __future__ import annotations

from chiso import app as core
from chiso.catalogue.records import ValueInput
from web_support import MakeClient


def test_public_pages_are_cached_until_the_data_changes(loaded: core.Workspace, make_client: MakeClient) -> None:
    client = make_client(loaded)
    first = client.get("/indicators/dossier_full_online_rate?period=2024")
    again = client.get("/indicators/dossier_full_online_rate?period=2024")
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.headers["x-chiso-cache"], again.headers["x-chiso-cache"]) == ("miss", "hit")
    assert again.text == first.text and "63,47%" in again.text
    loaded.store.write_values([ValueInput(indicator="dossier_full_online_rate", unit="ministries",
                                          period="2024", value=64.12, source="seed-003", paragraph=19)],
                              actor="t")
    after = client.get("/indicators/dossier_full_online_rate?period=2024")
    assert after.headers["x-chiso-cache"] == "miss" and "64,12%" in after.text
    # another language is another page; a language switch (it sets a cookie) is never cached
    en = client.get("/indicators/dossier_full_online_rate?period=2024", cookies={"chiso_lang": "en"})
    assert "64.12%" in en.text
    assert "x-chiso-cache" not in client.get("/?lang=en").headers


def test_logged_in_users_always_get_a_fresh_page(loaded: core.Workspace, make_client: MakeClient) -> None:
    client = make_client(loaded)
    client.get("/")
    r = client.get("/", cookies={"chiso_session": "anything"})
    assert r.status_code == 200 and "x-chiso-cache" not in r.headers


def test_the_read_api_is_cached_the_same_way(loaded: core.Workspace, make_client: MakeClient) -> None:
    url = "/api/v1/values/dossier_full_online_rate?unit=ministries&period=2024"
    client = make_client(loaded)
    a, b = client.get(url), client.get(url)
    assert (a.headers["x-chiso-cache"], b.headers["x-chiso-cache"]) == ("miss", "hit")
    assert b.json()["value"] == 63.47
    loaded.store.write_values([ValueInput(indicator="dossier_full_online_rate", unit="ministries",
                                          period="2024", value=64.12, source="seed-003", paragraph=19)],
                              actor="t")
    assert client.get(url).json()["value"] == 64.12
    assert "x-chiso-cache" not in client.get(url, headers={"Authorization": "Bearer x"}).headers
