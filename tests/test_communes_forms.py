"""Reported values below the province (issue 13): a province's office collects a data set from its communes, the
roles scoped to a province reach its districts and communes (and no other province's), a district's reach its own
communes, and a province's communes' approved figures add up for the group; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest

from chiso import app as core
from chiso import auth, workflow
from chiso.auth import Role, User
from chiso.catalogue import Catalogue
from chiso.errors import PermissionDenied
from chiso.web.forms import list_forms

DS, PERIOD = "commune_quarterly", "2024Q2"
TEAMS, MEMBERS = "community_dx_teams", "community_dx_team_members"
PW = "mật-khẩu-đủ-dài"
ON = date(2024, 6, 30)

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def as_user(unit: str, role: Role = Role.REVIEWER) -> User:
    return User(1, "u", "u", role, unit)


def test_a_provinces_scope_reaches_its_districts_communes_and_their_groups(catalogue: Catalogue) -> None:
    cat = catalogue
    dn = as_user("P48")
    commune_2024 = cat.communes_of("P48", ON)[0]
    district = commune_2024.parent
    assert district is not None and cat.units[district].type == "district"
    for code in (commune_2024.code, district, "P48.communes", "P48.urban", "P48.districts"):
        assert auth.in_scope(cat, dn, code), code
    # the 2025 city's users reach its 2025 communes, whose parent is the city itself
    commune_2025 = cat.communes_of("P48-2025", date(2025, 7, 1))[0]
    assert commune_2025.parent == "P48-2025"
    assert auth.in_scope(cat, as_user("P48-2025"), commune_2025.code)
    assert not auth.in_scope(cat, dn, commune_2025.code)
    hanoi = cat.communes_of("P01", ON)[0]
    for code in (hanoi.code, hanoi.parent, "P01.communes", "communes", "P01", "VN"):
        assert not auth.in_scope(cat, dn, code), code
    # the subtree listed for the reading policy is exactly what in_scope says yes to
    mine = auth.subtree(cat, dn)
    expected = {c for c in cat.units if auth.in_scope(cat, dn, c)}
    assert mine == expected
    assert len([c for c in mine if cat.units[c].type == "commune"]) == len(
        [u for u in cat.local_units_of("P48") if u.type == "commune"])


def test_a_districts_scope_is_its_communes_and_the_nations_is_everything(catalogue: Catalogue) -> None:
    cat = catalogue
    commune = cat.communes_of("P48", ON)[0]
    assert commune.parent is not None
    district = as_user(commune.parent)
    own = [u for u in cat.communes_of("P48", ON) if u.parent == commune.parent]
    other = next(u for u in cat.communes_of("P48", ON) if u.parent != commune.parent)
    assert own and all(auth.in_scope(cat, district, u.code) for u in own)
    assert not auth.in_scope(cat, district, other.code)
    assert not auth.in_scope(cat, district, "P48")
    assert auth.subtree(cat, district) == {commune.parent, *(u.code for u in cat.below(cat.units[commune.parent]))}
    nation = as_user("VN")
    assert auth.in_scope(cat, nation, commune.code) and auth.in_scope(cat, nation, "communes")
    ministry = as_user("BCA")
    assert not auth.in_scope(cat, ministry, commune.code)


def test_a_province_collects_from_its_communes_and_the_group_adds_up(workspace: core.Workspace) -> None:
    ws, cat = workspace, workspace.catalogue
    a, b = cat.communes_of("P48", ON)[:2]
    hanoi = cat.communes_of("P01", ON)[0]
    reporter = auth.user_of(ws.store.users.create("dn", "dn", PW, "reporter", "P48"))
    reviewer = auth.user_of(ws.store.users.create("dnrev", "dnrev", PW, "reviewer", "P48"))
    other = auth.user_of(ws.store.users.create("hn", "hn", PW, "reporter", "P01"))
    national = auth.user_of(ws.store.users.create("vn", "vn", PW, "admin", "VN"))

    # the province's reporter sees its communes' forms of the quarter; Hà Nội's reporter not theirs
    rows = list_forms(ws, reporter, dataset=DS, period=None, state=None, today=date(2024, 7, 15))
    listed = {r.unit.code for r in rows if r.dataset.id == DS}
    assert {u.code for u in cat.communes_of("P48", ON)} == listed
    assert {r.period for r in rows if r.dataset.id == DS} == {PERIOD}
    # a national user's list keeps the communes' open forms out unless the data set is asked for
    assert not any(r.dataset.id == DS for r in list_forms(ws, national, dataset=None, period=None, state=None,
                                                           today=date(2024, 7, 15)))

    for unit, teams, members in ((a, 3, 21), (b, 2, 9)):
        workflow.save_form(ws, reporter, DS, unit.code, PERIOD,
                           [workflow.Entry(TEAMS, teams), workflow.Entry(MEMBERS, members)])
        workflow.submit_form(ws, reporter, DS, unit.code, PERIOD)
    with pytest.raises(PermissionDenied):
        workflow.save_form(ws, other, DS, a.code, PERIOD, [workflow.Entry(TEAMS, 99)])
    with pytest.raises(PermissionDenied):
        workflow.save_form(ws, reporter, DS, hanoi.code, PERIOD, [workflow.Entry(TEAMS, 1)])

    # submitted, not approved: the province's communes sum only what is published
    group = cat.unit("P48.communes")
    assert ws.engine.value(TEAMS, group, PERIOD).value is None
    workflow.approve_form(ws, reviewer, DS, a.code, PERIOD)
    workflow.approve_form(ws, reviewer, DS, b.code, PERIOD)
    assert ws.store.users.form(DS, a.code, PERIOD).state == "approved"
    got = ws.engine.value(TEAMS, group, PERIOD)
    assert got.value == 5  # 3 + 2, the two communes that reported
    assert ws.engine.value(MEMBERS, a.code, PERIOD).value == 21
    # every change is audited with who made it
    history = ws.store.history(unit=a.code, period=PERIOD)
    assert {h.actor for h in history} >= {"dn", "dnrev"}
