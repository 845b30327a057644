"""Early warnings as they travel (issue 15 §2): what a rule found (``Finding``) and what the store keeps of it
(``WarningRecord``). Plain shapes shared by the engine's rules and the store, which do not import each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

Kind = Literal["silent", "break", "fall", "off_track", "late"]
KINDS: tuple[Kind, ...] = get_args(Kind)
State = Literal["new", "seen", "resolved"]
STATES: tuple[State, ...] = get_args(State)
SYSTEM = "system"  # who resolves a warning whose condition no longer holds


@dataclass(frozen=True)
class Finding:
    """One condition a rule found: its unit, what it is about (``subject``: an indicator, an event stream
    ``stream:<kind>``, an event source ``source:<id>`` or a data set), what was expected, what was seen, since
    when. ``key`` is stable: the same condition found again is the same warning."""

    kind: Kind
    unit: str
    subject: str
    period: str | None
    expected: float | None
    seen: float | None
    since: datetime
    detail: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> str:
        return dedup_key(self.kind, self.unit, self.subject, self.period)


def dedup_key(kind: str, unit: str, subject: str, period: str | None) -> str:
    return f"{kind}|{unit}|{subject}|{period or ''}"


@dataclass(frozen=True)
class WarningRecord:
    id: int
    key: str
    kind: Kind
    unit: str
    subject: str
    period: str | None
    expected: float | None
    seen: float | None
    since: datetime
    detail: dict[str, Any]
    state: State
    active: bool  # the condition held at the last check that looked at it
    first_seen: datetime
    last_seen: datetime
    state_by: str | None
    state_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "unit": self.unit, "subject": self.subject, "period": self.period,
            "expected": self.expected, "seen": self.seen, "since": self.since.isoformat(), "detail": self.detail,
            "state": self.state, "active": self.active, "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(), "state_by": self.state_by,
            "state_at": self.state_at.isoformat() if self.state_at else None,
        }
