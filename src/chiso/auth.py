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

from chiso.catalogue import Catalogue


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


def in_scope(catalogue: Catalogue, user: User, unit: str) -> bool:
    """Whether ``unit`` lies in the user's subtree (the scope root, its members, their members…)."""
    if user.unit == unit:
        return True
    root = catalogue.units.get(user.unit)
    if root is None:
        return False
    todo = list(catalogue.components(root))
    seen: set[str] = set()
    while todo:
        u = todo.pop()
        if u.code == unit:
            return True
        if u.code not in seen:
            seen.add(u.code)
            todo.extend(catalogue.components(u))
    return False


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
