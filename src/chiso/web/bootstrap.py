"""The first national administrator, without a web page to log in to yet: ``ensure_admin``.

Also the rules for user names and passwords, shared with the admin pages.
"""

from __future__ import annotations

import re

from chiso.app import Workspace
from chiso.errors import ChisoError, Problem
from chiso.store.users import UserRecord

MIN_PASSWORD = 10
MAX_PASSWORD = 1000  # argon2 takes any length; a cap keeps one request from costing much
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")


def username_problem(username: str) -> Problem | None:
    """Why the name is refused (a ``chiso.i18n`` message), or None."""
    if not USERNAME.match(username):
        return Problem(None, None, "account.username_rule")
    return None


def password_problem(password: str, username: str = "") -> Problem | None:
    """Why the password is refused (a ``chiso.i18n`` message), or None."""
    if len(password) < MIN_PASSWORD:
        return Problem(None, None, "account.password_short", {"n": MIN_PASSWORD})
    if len(password) > MAX_PASSWORD:
        return Problem(None, None, "account.password_long", {"n": MAX_PASSWORD})
    if username and password.strip().lower() == username.strip().lower():
        return Problem(None, None, "account.password_is_name")
    return None


def ensure_admin(ws: Workspace, username: str, password: str, name: str = "Quản trị hệ thống") -> UserRecord:
    """The national admin ``username``, created if missing. Idempotent: an existing national admin is
    returned as it is (its password is not reset); a same-named user of another role is an error."""
    book = ws.store.users
    nation = ws.catalogue.nation.code
    rec = book.by_username(username)
    if rec is not None:
        if rec.role != "admin" or rec.unit != nation:
            raise ChisoError(f"user {username!r} exists as {rec.role} of {rec.unit}, not as the national admin")
        if not rec.active:
            raise ChisoError(f"user {username!r} exists but is deactivated; reactivate it from /admin/users")
        return rec
    for problem in (username_problem(username), password_problem(password, username)):
        if problem:
            raise ChisoError(problem.render("en"))
    rec = book.create(username, name, password, "admin", nation)
    book.record("bootstrap", "user", str(rec.id), "insert", unit=nation,
                after={"username": username, "name": name, "role": "admin", "unit": nation})
    return rec
