"""A user's scope: ``in_scope`` is membership in ``subtree``, computed once per catalogue and root."""

from __future__ import annotations

import gc
from datetime import date

from chiso import auth
from chiso.auth import Role, User
from chiso.catalogue import Catalogue


def as_user(unit: str) -> User:
    return User(1, "u", "u", Role.REVIEWER, unit)


def test_in_scope_is_membership_in_the_subtree(catalogue: Catalogue) -> None:
    cat = catalogue
    for root in ("VN", "BCA", "P48", "P48.communes", "communes", "NOPE"):
        user = as_user(root)
        mine = auth.subtree(cat, user)
        assert {c for c in cat.units if auth.in_scope(cat, user, c)} == mine | ({root} & set(cat.units))
    assert auth.subtree(cat, as_user("VN")) == frozenset(cat.units)
    # a group of communes reaches its members, for entering as for reading
    group = as_user("P48.communes")
    assert all(auth.in_scope(cat, group, u.code) for u in cat.members("P48.communes"))
    # one's own unit is always in scope, even one the catalogue does not know; another unknown never is
    assert auth.in_scope(cat, as_user("NOPE"), "NOPE")
    assert not auth.in_scope(cat, as_user("NOPE"), "P48") and not auth.in_scope(cat, as_user("VN"), "NOPE")


def test_a_rebuilt_catalogue_gets_its_own_scopes(catalogue: Catalogue) -> None:
    user = as_user("P48")
    before = auth.subtree(catalogue, user)
    assert auth.subtree(catalogue, user) is before  # cached
    commune = catalogue.communes_of("P48", date(2024, 6, 30))[0]
    extra = commune.model_copy(update={"code": "X99999", "gso_code": None})
    rebuilt = Catalogue({**catalogue.units, extra.code: extra}, catalogue.indicators)
    assert "X99999" in auth.subtree(rebuilt, user) and "X99999" not in before
    assert auth.in_scope(rebuilt, user, "X99999") and not auth.in_scope(catalogue, user, "X99999")
    held = len(auth._SUBTREES)
    del rebuilt
    gc.collect()
    assert len(auth._SUBTREES) == held - 1  # dropped with its catalogue
