"""Operational event schemas (version 1): dossier status records and NDXP transactions.

Documented in docs/events.md. Times are naive local time (UTC+7), as the portals send them; an
event belongs to the day of its ``at``, whenever it arrives.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1
# Bounds of every field (issue 11): far above any real value, well inside a 64-bit integer and a timestamp, so
# an out-of-range value is one rejected event with its reason, never an overflow that fails the batch.
MAX_FEE = 10**12  # đồng: a thousand billion
MAX_COUNT = 100_000  # documents, supplement requests, database lookups of one dossier
MAX_DAYS = 3_650  # paused days: ten years
MAX_LATENCY_MS = 86_400_000  # a day
MAX_SIZE_BYTES = 2**40  # a tebibyte
EARLIEST = datetime(2000, 1, 1)  # times before or at/after these are refused
LATEST = datetime(2101, 1, 1)


class DossierStatus(StrEnum):
    RECEIVED = "received"  # tiếp nhận
    PROCESSING = "processing"  # đang xử lý
    SUPPLEMENT_REQUESTED = "supplement_requested"  # yêu cầu bổ sung
    RESULT_ISSUED = "result_issued"  # có kết quả (kết thúc xử lý)
    RETURNED = "returned"  # trả kết quả cho người nộp
    CANCELLED = "cancelled"  # từ chối, dừng xử lý, công dân rút hồ sơ


class Channel(StrEnum):
    ONLINE = "online"  # 2 trực tuyến
    IN_PERSON = "in_person"  # 1 trực tiếp
    POSTAL = "postal"  # 3 bưu chính công ích


class NdxpOutcome(StrEnum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    DENIED = "denied"


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    schema_version: Literal[1] = 1
    event_id: str = Field(min_length=1, max_length=200)
    at: datetime
    source_system: str = Field(min_length=1, max_length=100)

    @field_validator("at")
    @classmethod
    def _naive_local(cls, v: datetime) -> datetime:
        return local_time(v)

    @model_validator(mode="after")
    def _encodable(self) -> _Event:
        for name, v in self.__dict__.items():
            if isinstance(v, str):
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise ValueError(f"{name}: contains an unpaired surrogate (not valid Unicode text)") from exc
        return self


class DossierEvent(_Event):
    """One status change of one dossier (hồ sơ), as a procedure system reports it."""

    kind: Literal["dossier"] = "dossier"
    dossier_id: str = Field(min_length=1, max_length=100)
    procedure_code: str = Field(min_length=1, max_length=50)  # MaTTHC
    unit: str = Field(min_length=1, max_length=50)  # receiving ministry or province (chiso unit code)
    subunit: str | None = Field(default=None, max_length=50)  # district or commune code, where known
    status: DossierStatus
    channel: Channel
    full_online: bool = False  # the service is provided toàn trình (Decree 42/2022)
    digitised: bool = False  # the dossier's components were digitised
    result_digitised: bool = False
    e_result: bool = False  # result issued electronically with legal value
    documents: int = Field(default=0, ge=0, le=MAX_COUNT)  # components in the dossier
    documents_reused: int = Field(default=0, ge=0, le=MAX_COUNT)  # taken from digitised data / national databases
    fee: int = Field(default=0, ge=0, le=MAX_FEE)  # đồng
    paid_online: bool = False
    received_at: datetime | None = None
    due_at: datetime | None = None  # hẹn trả
    # time with the applicant (supplements), not counted as late
    paused_days: float = Field(default=0, ge=0, le=MAX_DAYS, allow_inf_nan=False)
    supplement_requests: int = Field(default=0, ge=0, le=MAX_COUNT)
    vneid: bool = False  # applicant authenticated with VNeID (766: digitisation criteria)
    national_db_lookups: int = Field(default=0, ge=0, le=MAX_COUNT)  # CSDLQG used instead of paper (766)
    rating: int | None = Field(default=None, ge=1, le=5)  # applicant satisfaction, where asked (766)

    @field_validator("received_at", "due_at")
    @classmethod
    def _naive_local_optional(cls, v: datetime | None) -> datetime | None:
        return None if v is None else local_time(v)

    @model_validator(mode="after")
    def _consistent(self) -> DossierEvent:
        if self.documents_reused > self.documents:
            raise ValueError(f"documents_reused ({self.documents_reused}) is above documents ({self.documents})")
        if self.paid_online and self.fee == 0:
            raise ValueError("paid_online is true but fee is 0")
        return self

    @property
    def on_time(self) -> bool | None:
        """Finished by the due date, the applicant's supplement time not counted; None if not finished."""
        if self.status is not DossierStatus.RESULT_ISSUED or self.due_at is None:
            return None
        return self.at <= self.due_at + timedelta(days=self.paused_days)


class NdxpEvent(_Event):
    """One transaction through the national data-sharing platform (NDXP)."""

    kind: Literal["ndxp"] = "ndxp"
    consumer_unit: str = Field(min_length=1, max_length=50)
    consumer_system: str = Field(min_length=1, max_length=100)
    provider_unit: str = Field(min_length=1, max_length=50)
    provider_system: str = Field(min_length=1, max_length=100)
    service: str = Field(min_length=1, max_length=100)
    outcome: NdxpOutcome = NdxpOutcome.OK
    latency_ms: int = Field(default=0, ge=0, le=MAX_LATENCY_MS)
    size_bytes: int = Field(default=0, ge=0, le=MAX_SIZE_BYTES)


Event = DossierEvent | NdxpEvent
EVENT_KINDS: dict[str, type[DossierEvent] | type[NdxpEvent]] = {"dossier": DossierEvent, "ndxp": NdxpEvent}
# Columns a stored event carries beyond its schema, derived at ingestion: (name, Python type), in table order.
# Defined here, below both the event store and the engines, so each reads them without importing the other.
# ``commune``: the commune a dossier's ``subunit`` resolves to (docs/events.md, "Where in the province"), or null.
DERIVED_COLUMNS: dict[str, tuple[tuple[str, type], ...]] = {
    "dossier": (("day", date), ("on_time", bool), ("commune", str)),
    "ndxp": (("day", date),),
}
# Derived columns added after the first release: event files and stores written before lack them, and read them as
# null (an event stored before per-commune attribution is attributed to no commune).
LATER_COLUMNS: frozenset[str] = frozenset({"commune"})
# The per-commune (local) aggregates group by this column; only dossier events carry it.
LOCAL_COLUMN: dict[str, str] = {"dossier": "commune"}
# The kind of a rejects row that says "this event counts for its province, but its subunit names no commune it can
# be attributed to": listed with the rejects, never replayed (the event is already stored and counted).
SUBUNIT_REJECT_KIND = "dossier.subunit"

from datetime import timezone as _tz  # noqa: E402

_VN_TZ = _tz(timedelta(hours=7))


def local_time(v: datetime) -> datetime:
    """A time as naive UTC+7 (the portals' own time), refused outside [EARLIEST, LATEST) (ValueError), checked
    before any conversion so no extreme time can overflow."""
    naive = v.replace(tzinfo=None)
    if not EARLIEST - timedelta(days=1) <= naive < LATEST + timedelta(days=1):
        raise ValueError(f"expected a time from {EARLIEST:%Y} to {LATEST.year - 1}")
    if v.tzinfo is not None:
        naive = v.astimezone(_VN_TZ).replace(tzinfo=None)
    if not EARLIEST <= naive < LATEST:
        raise ValueError(f"expected a time from {EARLIEST:%Y} to {LATEST.year - 1}")
    return naive
