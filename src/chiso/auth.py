"""Who may see and change what: roles, each scoped to a subtree of units. Pure: no I/O here.

- ``admin`` (national admin): everything in scope, and reopens approved periods;
- ``reviewer``: reads its subtree, approves or returns submitted forms;
- ``reporter``: reads its subtree, enters and submits its units' forms;
- ``viewer``: reads its subtree;
- the public (no login): published figures only — approved values and values computed from events.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from weakref import WeakKeyDictionary

from chiso.catalogue import Catalogue
from chiso.catalogue.models import UnitType


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    REPORTER = "reporter"
    VIEWER = "viewer"


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    role: Role
    unit: str  # the root of the subtree the user works in (VN for national roles)
    active: bool = True


def user_of(rec: Any) -> User:
    """The user a stored user record (``chiso.store.users.UserRecord``: id, username, name, role, unit, active)
    stands for."""
    return User(rec.id, rec.username, rec.name, Role(rec.role), rec.unit, rec.active)


def in_scope(catalogue: Catalogue, user: User, unit: str) -> bool:
    """Whether ``unit`` lies in the user's subtree (the scope root, its members, their members…). Below the
    province the tree is the chain of parents (commune → district → province): a province's users reach its
    districts, communes and groups of them, a district's its communes, and groups spanning provinces (all
    communes) only the national scope."""
    return user.unit == unit or unit in subtree(catalogue, user)


# A catalogue is immutable once built and replaced whole when its files change: keyed by the object, a
# scope is computed once per catalogue and root, and dropped with the catalogue.
_SUBTREES: WeakKeyDictionary[Catalogue, dict[str, frozenset[str]]] = WeakKeyDictionary()


def subtree(catalogue: Catalogue, user: User) -> frozenset[str]:
    """Every unit code in the user's scope (what ``in_scope`` answers yes for), the local units included."""
    return units_below(catalogue, user.unit)


def units_below(catalogue: Catalogue, code: str) -> frozenset[str]:
    """A unit and every unit below it (a subscription to a subtree; a user's scope)."""
    by_root = _SUBTREES.get(catalogue)
    if by_root is None:
        by_root = _SUBTREES.setdefault(catalogue, {})
    scope = by_root.get(code)
    if scope is None:
        scope = by_root[code] = _subtree(catalogue, code)
    return scope


def _subtree(catalogue: Catalogue, code: str) -> frozenset[str]:
    root = catalogue.units.get(code)
    if root is None:
        return frozenset()
    if root.type is UnitType.NATION:
        return frozenset(catalogue.units)
    scope: set[str] = set()
    todo = [root]
    while todo:
        u = todo.pop()
        if u.code not in scope:
            scope.add(u.code)
            todo.extend(catalogue.components(u))
            todo.extend(catalogue.below(u))
    return frozenset(scope)


def can_read_unpublished(catalogue: Catalogue, user: User | None, unit: str) -> bool:
    return user is not None and user.active and in_scope(catalogue, user, unit)


def can_enter(catalogue: Catalogue, user: User | None, unit: str) -> bool:
    return (
        user is not None
        and user.active
        and user.role in (Role.REPORTER, Role.ADMIN)
        and in_scope(catalogue, user, unit)
    )


def can_review(catalogue: Catalogue, user: User | None, unit: str) -> bool:
    return (
        user is not None
        and user.active
        and user.role in (Role.REVIEWER, Role.ADMIN)
        and in_scope(catalogue, user, unit)
    )


def can_reopen(catalogue: Catalogue, user: User | None, unit: str) -> bool:
    return user is not None and user.active and user.role is Role.ADMIN and in_scope(catalogue, user, unit)


def can_administer(user: User | None) -> bool:
    """Catalogue, targets, users and event sources: national admins only."""
    return user is not None and user.active and user.role is Role.ADMIN and user.unit == "VN"


def can_publish_reports(catalogue: Catalogue, user: User | None) -> bool:
    """Writing the national reports (they are published): the national office's reviewers and admins."""
    return can_review(catalogue, user, catalogue.nation.code)


def can_write_report(catalogue: Catalogue, user: User | None, unit: str | None = None) -> bool:
    """Writing a report: the national one (``unit`` None or the nation) by those who publish the national reports;
    a province's own by them and by that province's reviewers and admins."""
    if unit is None or unit == catalogue.nation.code:
        return can_publish_reports(catalogue, user)
    return can_publish_reports(catalogue, user) or can_review(catalogue, user, unit)
