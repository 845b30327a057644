"""The operational store's tables (SQLAlchemy Core). Migrations in ``migrations/`` create them."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

source_document = Table(
    "source_document",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("title", Text, nullable=False),
    Column("publisher", Text),
    Column("published", Date),
    Column("file", Text),
    Column("authority", Integer, nullable=False, default=5),
    Column("note", Text),
)

# A set of changes made together (one import, one load, one form save): the audit groups by it.
change_set = Table(
    "change_set",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("kind", String(40), nullable=False),  # load | import | edit | delete
    Column("description", Text),
)

data_value = Table(
    "data_value",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("indicator", String(100), nullable=False, index=True),
    Column("unit", String(50), nullable=False, index=True),
    Column("period", String(30), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("origin", String(20), nullable=False),  # reported | computed
    Column("source", String(200), nullable=False),
    Column("value", Float),
    Column("numerator", Float),
    Column("denominator", Float),
    Column("approximate", Boolean, nullable=False, default=False),
    Column("qualifier", String(40)),
    Column("paragraph", Integer),
    Column("comment", Text),
    Column("status", String(20), nullable=False, default="approved"),
    Column("version", Integer, nullable=False, default=1),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("indicator", "unit", "period", "origin", "source", name="uq_data_value_key"),
)

target = Table(
    "target",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("indicator", String(100), nullable=False, index=True),
    Column("unit", String(50), nullable=False),
    Column("period", String(30), nullable=False),
    Column("value", Float, nullable=False),
    Column("source", String(200)),
    Column("paragraph", Integer),
    Column("note", Text),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("indicator", "unit", "period", name="uq_target_key"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("change_set", Integer, ForeignKey("change_set.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("entity", String(30), nullable=False),  # data_value | target | source_document
    Column("entity_id", String(100), nullable=False),
    Column("action", String(20), nullable=False),  # insert | update | delete
    Column("indicator", String(100)),
    Column("unit", String(50)),
    Column("period", String(30)),
    Column("before", JSON),
    Column("after", JSON),
)

def _daily_sums(name: str) -> Table:
    """Kept event aggregates: a measure's value per unit and day. The covering index answers the nation's sums
    (every unit of a measure by day) and a group's sums over a period from the index alone."""
    return Table(
        name,
        metadata,
        Column("measure", String(100), primary_key=True),
        Column("unit", String(50), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("value", BigInteger, nullable=False),
        Index(f"ix_{name}_measure_day", "measure", "day", "unit", "value"),
    )


event_agg = _daily_sums("event_agg")
# the same per commune (issue 13): a dossier event whose ``subunit`` resolves to a commune is counted there under the
# commune's code as well as in ``event_agg`` under its province (0006)
event_agg_local = _daily_sums("event_agg_local")

event_first_seen = Table(
    "event_first_seen",
    metadata,
    Column("measure", String(100), primary_key=True),
    Column("unit", String(50), primary_key=True),
    Column("key", String(300), primary_key=True),
    Column("first_day", Date, nullable=False),
)

event_batch = Table(
    "event_batch",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("source", String(100), nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("events", Integer, nullable=False),
    Column("accepted", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("state", String(20), nullable=False),
    Index("ix_event_batch_received_at", "received_at"),  # a source's recent batches, for silent sources (0010)
)

event_source = Table(
    "event_source",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("name", Text, nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("units", JSON, nullable=False),
    Column("kinds", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)

event_reject = Table(
    "event_reject",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch", BigInteger, nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("source", String(100), nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("position", Integer),
    Column("raw", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("replayed_at", DateTime),
    Column("replay_batch", BigInteger),
    # hash of (source, kind, batch identity, position): a resent batch records its rejects once (0004)
    Column("dedup_key", String(64)),
    Index("ix_event_reject_dedup_key", "dedup_key", unique=True),
)

app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("unit", String(50), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime),
)

web_session = Table(
    "web_session",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(100), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

# a bulk ingest's place in a file, kept while the file is being ingested (after each committed chunk) and removed
# once it is done: a killed ingest of the same, unchanged file resumes there (0008)
ingest_progress = Table(
    "ingest_progress",
    metadata,
    Column("file_key", String(100), primary_key=True),  # the file's path, size and modification time, hashed
    Column("path", String(1000), nullable=False),
    Column("rows", BigInteger, nullable=False),  # rows (or lines) committed from the start of the file
    Column("updated_at", DateTime, nullable=False),
)

# login attempts, when web nodes share their rate limits ([web] login_limits = "store"): one row per counted key
# (``a:<address>``, ``u:<user name>``) and attempt, pruned once older than the window (0007)
login_attempt = Table(
    "login_attempt",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False),
    Column("at", Float, nullable=False),  # seconds since the epoch: one clock for every node
    Index("ix_login_attempt_key_at", "key", "at"),
)

# failed logins at user names without an account, when web nodes share their login limits ([web] login_limits =
# "store"): locked like real accounts, for every node (0009). Keyed on the name as tried, cut to 100 characters
# (the longest user name); rows neither locked nor failed within the lockout are pruned on the way.
login_lockout = Table(
    "login_lockout",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("failed", Integer, nullable=False),
    Column("locked_until", DateTime),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_login_lockout_updated", "updated_at"),
)

form_state = Table(
    "form_state",
    metadata,
    Column("dataset", String(100), primary_key=True),
    Column("unit", String(50), primary_key=True),
    Column("period", String(30), primary_key=True),
    Column("state", String(20), nullable=False),
    Column("comment", Text),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False),
)

# early warnings (issue 15 §2, 0010): one row per condition (``key``: kind, unit, subject, period), found again →
# ``last_seen`` moves; ``active``: the condition held at the last check that looked at it
warning = Table(
    "warning",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(400), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("unit", String(50), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("period", String(30)),
    Column("expected", Float),
    Column("seen", Float),
    Column("since", DateTime, nullable=False),
    Column("detail", JSON, nullable=False),
    Column("state", String(20), nullable=False),  # new | seen | resolved
    Column("active", Boolean, nullable=False),
    Column("first_seen", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("state_by", String(200)),
    Column("state_at", DateTime),
    Index("ix_warning_unit_state", "unit", "state"),
)

# every move of a warning (raised, reopened, seen, resolved, cleared), who and when: its increasing id is the point
# a subscriber lists the warnings raised since (0010)
warning_log = Table(
    "warning_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("warning", Integer, ForeignKey("warning.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(20), nullable=False),
)

# who wants to hear of what, and how (issue 15 §3, 0011): a unit (with the units below it or not), narrowed to an
# indicator or a warning kind, or a report (monthly, quarterly, annual); by e-mail, webhook or in the application
subscription = Table(
    "subscription",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("unit", String(50), nullable=False),
    Column("below", Boolean, nullable=False),
    Column("indicator", String(100)),
    Column("kind", String(20)),  # a warning kind; none: every kind
    Column("report", String(20)),  # monthly | quarterly | annual: a report subscription, not warnings
    # a report's: "approved", "day:N" or "approved+day:N" (chiso.notify.When); none: the set day of [notify] (0012)
    Column("send_when", String(20)),
    Column("digest", String(10)),  # warnings gathered hourly | daily; none: each at once (0014)
    Column("channel", String(20), nullable=False),  # email | webhook | inapp
    Column("target", String(500)),  # the address or the URL
    Column("secret", String(200)),  # the webhook's HMAC key
    Column("lang", String(5), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# one row per subscription and item ("warning:<log id>", "report:<period>"): the unique pair is what keeps an item
# from being delivered twice, whichever process claims it first (0011)
delivery = Table(
    "delivery",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("subscription", Integer, ForeignKey("subscription.id", ondelete="CASCADE"), nullable=False),
    Column("item", String(100), nullable=False),
    Column("warning", Integer, ForeignKey("warning.id", ondelete="CASCADE")),
    # pending | sending | sent | failed | skipped; a warning for a digest: held, then digested (0014)
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("claimed_until", DateTime),
    Column("last_error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Column("read_at", DateTime),  # an in-app notification the user has read
    # a report's PDF as sent (0013): its name in reports/delivered (never overwritten), SHA-256 and size
    Column("file", String(200)),
    Column("file_sha256", String(64)),
    Column("file_size", BigInteger),
    Column("digest", BigInteger),  # a held warning's: the digest delivery that gathered it (0014)
    UniqueConstraint("subscription", "item", name="uq_delivery_item"),
    Index("ix_delivery_due", "state", "next_attempt_at"),
    Index("ix_delivery_unread", "subscription", "state", "read_at"),  # a user's unread count, on every page (0015)
)

# a server's secrets, made once by whichever process needs one first and shared by every process of the store
# (0015): ``report_link`` signs the expiring links to a delivered report's PDF (chiso.notify.signed_report_link)
app_secret = Table(
    "app_secret",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# a dispatcher's place in a log (the warning log's id it fanned out up to): a restart continues from it (0011)
notify_cursor = Table(
    "notify_cursor",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("position", BigInteger, nullable=False),
)
