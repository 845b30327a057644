"""Subscriptions and delivery of early warnings and reports (issue 15 §3; docs/notifications.md).

- ``check_subscription``: what a user may subscribe to (a unit their role and scope let them read; bounded inputs).
- ``Dispatcher.run_once``: fans the warnings raised since its cursor (``Store.warnings.raised_since``) out to the
  subscriptions they match — one delivery row per (subscription, item), unique in the store —, then sends the
  deliveries it claims: e-mail (SMTP), webhook (POST, HMAC-signed), in-app (the row itself is the notification).
  The scope is checked again when sending: a user's scope may have shrunk since the row was made.
- ``Dispatcher.schedule_reports``: a report subscription's report of each period, when its data is approved for
  the unit's part (``watch.approval``) or on a set day (``When``): one delivery per (subscription, period), and one
  corrected edition per later approval that completes the period again.
- ``Dispatcher.schedule_digests``: a digest subscription's warnings are held, and gathered into one delivery per
  closed hour, day or ISO week (``digest:<window>``), once whichever dispatcher makes it.
- A report's mail and webhook carry a signed link to its PDF (``signed_report_link``: HMAC-SHA256 of the delivery's id
  and an expiry, ``[notify] link_days``, with the server's secret in the store) that opens it without a session.
- Webhooks: the host resolved once and the connection made to the address checked (``resolve``: SSRF and DNS
  rebinding), signed over the timestamp and the body (``sign_timed``).
- ``Dispatcher.start``: a background thread that runs it when woken (``wake``: after an event batch raised
  warnings) and at least every ``poll`` seconds (retries, warnings raised by another process). The event writer
  only sets an event: a slow SMTP server or webhook never holds up the ingest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import http.client
import ipaddress
import json
import logging
import os
import re
import secrets
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chiso import auth
from chiso.catalogue import Catalogue
from chiso.catalogue.models import UnitType
from chiso.catalogue.periods import Period, PeriodKind
from chiso.catalogue.warnings import KINDS, Finding, WarningRecord
from chiso.errors import EmptyDigest, PermissionDenied, Problem, ValidationError, WorkspaceError
from chiso.i18n import LANGS, fmt_date, fmt_number, t
from chiso.report.warnings_text import describe, kind_name, subject_label, unit_label
from chiso.store import Store
from chiso.store.notify import CHANNELS, DIGESTS, REPORTS, Delivery, ReportFile, Subscription
from chiso.store.notify import now as utc_now
from chiso.watch import Approval, approval

log = logging.getLogger(__name__)

CURSOR = "warnings"  # the dispatcher's place in the warning log
MAX_URL, MAX_EMAIL, MAX_SECRET, MIN_SECRET = 500, 254, 200, 16
EMAIL = re.compile(r"^[^@\s<>,;\"']{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
MAX_ERROR = 500  # characters of an error kept on a delivery
# a report's PDF travels in the webhook's body up to this size: base64 makes it 4/3 larger, so the body stays under
# the 1 MB that common receivers accept by default (nginx's client_max_body_size); larger, the link and the hash only
WEBHOOK_PDF_MAX = 700_000
MAX_LINK_DAYS = 365  # [notify] link_days: a signed link opens a report for at most a year
LINK_SECRET = "report_link"  # the name of the server's secret that signs them (``NotifyBook.secret``)
MAX_EXP = 2**40  # a link's expiry (Unix seconds) is below this: the query's bound
HEX64 = re.compile(r"[0-9a-fA-F]{64}")  # a link's sig


@dataclass(frozen=True)
class NotifySettings:
    """``[notify]`` of chiso.toml (docs/notifications.md); ``CHISO_SMTP_PASSWORD`` for the SMTP password."""

    smtp_host: str | None = None
    outbox: str | None = None  # no SMTP server: each mail written as a .eml file into this folder (the demo's)
    smtp_port: int = 25
    smtp_from: str = "chiso@localhost"
    smtp_user: str | None = None
    smtp_starttls: bool = False
    retry: tuple[float, ...] = (1.0, 4.0, 16.0)  # seconds before each retry; then the delivery fails
    timeout: float = 10.0  # seconds for one SMTP or HTTP attempt
    webhook_allow: tuple[str, ...] = ()  # hosts or networks webhooks may reach; none: public addresses only
    max_per_user: int = 50
    poll: float = 30.0  # the background dispatcher's longest sleep
    lease: float = 120.0  # how long a claimed delivery is another process's before it may be claimed again
    after_batch: bool = True  # deliver from the event writer's process, right after its checks
    report_day: int = 10  # days after a period ends: the set day of report subscriptions without a ``when``
    base_url: str | None = None  # the web app's address, for the links in webhooks (none: links start with "/")
    webhook_pdf_max: int = WEBHOOK_PDF_MAX  # bytes: a report's PDF up to this size travels in the webhook's body
    link_days: int = 7  # how long a signed link to a delivered report's PDF (in a mail, a webhook) opens it

    @classmethod
    def read(cls, settings: dict[str, Any], file: str = "chiso.toml") -> NotifySettings:
        given = settings.get("notify", {})
        if not isinstance(given, dict):
            raise WorkspaceError(f"{file}: [notify] must be a table")
        kinds: dict[str, Callable[[Any], bool]] = {
            "smtp_host": lambda v: isinstance(v, str) and 0 < len(v) <= 253,
            "outbox": lambda v: isinstance(v, str) and 0 < len(v) <= 1000,
            "smtp_port": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 65535,
            "smtp_from": lambda v: isinstance(v, str) and bool(EMAIL.match(v) or v.endswith("@localhost")),
            "smtp_user": lambda v: isinstance(v, str) and 0 < len(v) <= 200,
            "smtp_starttls": lambda v: isinstance(v, bool),
            "retry": lambda v: isinstance(v, list) and len(v) <= 10 and all(
                isinstance(x, int | float) and not isinstance(x, bool) and 0 <= x <= 86400 for x in v),
            "timeout": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 300,
            "webhook_allow": lambda v: isinstance(v, list) and all(isinstance(x, str) and 0 < len(x) <= 253
                                                                   for x in v),
            "max_per_user": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1000,
            "poll": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 3600,
            "lease": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 1 <= v <= 86400,
            "after_batch": lambda v: isinstance(v, bool),
            "report_day": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 60,
            "base_url": lambda v: isinstance(v, str) and len(v) <= 200 and url_problem(v) is None,
            "webhook_pdf_max": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 20_000_000,
            "link_days": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_LINK_DAYS,
        }
        values: dict[str, Any] = {}
        for key, value in given.items():
            if key not in kinds:
                raise WorkspaceError(f"{file}: [notify] has no setting {key!r} (known: {', '.join(kinds)})")
            if not kinds[key](value):
                raise WorkspaceError(f"{file}: [notify] {key} = {value!r} is not allowed (docs/notifications.md)")
            values[key] = tuple(float(x) for x in value) if key == "retry" else (
                tuple(value) if key == "webhook_allow" else value)
        return cls(**values)


# --- what a user may subscribe to ---------------------------------------------------------------------------------
def check_subscription(catalogue: Catalogue, user: auth.User, *, unit: str, below: bool = True,
                       indicator: str | None = None, kind: str | None = None, report: str | None = None,
                       when: str | None = None, digest: str | None = None, channel: str,
                       target: str | None = None, secret: str | None = None, lang: str = "vi",
                       report_day: int = 10) -> dict[str, Any]:
    """The subscription's fields, checked: a unit the user may read (their role and scope), a known indicator and
    warning kind, a report's ``when`` (``When.parse``; a new report subscription's default: on approval, or on
    ``report_day`` for a kind of report no data set is reported for), a bounded address (an e-mail, an http(s) URL
    with a secret). Raises ValidationError naming each wrong field, PermissionDenied for a unit outside the user's
    scope."""
    problems: list[Problem] = []

    def bad(field: str, reason: str, value: object = None, **params: object) -> None:
        problems.append(Problem(None, field, reason, params, None if value is None else str(value)[:100]))

    if not isinstance(unit, str) or unit not in catalogue.units:
        bad("unit", "notify.bad.unit", unit, name=str(unit)[:60])
    elif not auth.can_read_unpublished(catalogue, user, unit):
        raise PermissionDenied(f"{user.username} may not subscribe to {unit}")
    if indicator is not None and indicator not in catalogue.indicators:
        bad("indicator", "notify.bad.indicator", indicator, name=str(indicator)[:60])
    if kind is not None and kind not in KINDS:
        bad("kind", "notify.bad.kind", kind, known=", ".join(KINDS))
    if report is not None and report not in REPORTS:
        bad("report", "notify.bad.report", report, known=", ".join(REPORTS))
    if report is not None and (kind is not None or indicator is not None):
        bad("report", "notify.bad.report_and_warning", report)
    if report is not None and unit in catalogue.units and catalogue.units[unit].type not in (
            UnitType.NATION, UnitType.PROVINCE, UnitType.CITY):
        bad("unit", "notify.bad.report_unit", unit)  # the written reports are the nation's and the provinces'
    if digest is not None and digest not in DIGESTS:
        bad("digest", "notify.bad.digest", digest, known=", ".join(DIGESTS))
    elif digest is not None and report is not None:
        bad("digest", "notify.bad.digest_report", digest)  # a report is one message already
    if when is not None and report is None:
        bad("when", "notify.bad.when_not_report", when)
    elif report in REPORT_KINDS:
        approvable = any(ds.period is REPORT_KINDS[report] for ds in catalogue.datasets.values())
        if when is None:
            when = DEFAULT_WHEN if approvable else f"day:{report_day}"
        w = When.parse(when)
        if w is None:
            bad("when", "notify.bad.when", when, high=MAX_DAY)
        elif w.approved and not approvable:
            bad("when", "notify.bad.when_no_forms", when, report=report)  # nothing to approve: it would never go
        else:
            when = str(w)
    if lang not in LANGS:
        bad("lang", "notify.bad.lang", lang, known=", ".join(LANGS))
    if channel not in CHANNELS:
        bad("channel", "notify.bad.channel", channel, known=", ".join(CHANNELS))
    elif channel == "email":
        if not isinstance(target, str) or len(target) > MAX_EMAIL or not EMAIL.match(target):
            bad("target", "notify.bad.email", target, limit=MAX_EMAIL)
        secret = None
    elif channel == "webhook":
        if not isinstance(target, str) or url_problem(target) is not None:
            bad("target", "notify.bad.url", target, limit=MAX_URL)
        if not isinstance(secret, str) or not MIN_SECRET <= len(secret) <= MAX_SECRET:
            bad("secret", "notify.bad.secret", None, low=MIN_SECRET, high=MAX_SECRET)
    else:
        target = secret = None
    if problems:
        raise ValidationError(problems)
    return {"unit": unit, "below": bool(below), "indicator": indicator, "kind": kind, "report": report,
            "when": when, "digest": digest, "channel": channel, "target": target, "secret": secret, "lang": lang}


def url_problem(url: str) -> str | None:
    """Why a webhook URL is refused as written (None: it is not): http or https only, a host, no credentials, at
    most ``MAX_URL`` characters. Where it points is checked when sending (``reachable``)."""
    if len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        return "too long or blank characters"
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https"):
        return "only http and https"
    if not parts.hostname or parts.username or parts.password:
        return "a host and no credentials"
    return None


def reachable(url: str, allow: tuple[str, ...]) -> str | None:
    """Why a webhook may not be called now (None: it may); see ``resolve``."""
    return resolve(url, allow)[1]


def resolve(url: str, allow: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The address to call a webhook at, and why not (one of the two is None). The host is resolved **once**: the
    address returned is the one checked, and the caller connects to it (``_post``), so a second resolution cannot
    point elsewhere (DNS rebinding). With ``webhook_allow``, only its hosts or networks; without, only public
    addresses: loopback, private, link-local (cloud metadata) and reserved ones are internal services an attacker
    would aim a webhook at (SSRF). Every address of the answer must pass, not just the one used."""
    host = urlsplit(url).hostname or ""
    try:
        answer = [a[4][0] for a in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]
        addrs = [ipaddress.ip_address(str(a).split("%", 1)[0]) for a in answer]
    except (OSError, ValueError) as exc:
        return None, f"cannot resolve {host}: {exc}"
    if not addrs:
        return None, f"cannot resolve {host}: no address"
    first = str(addrs[0])
    if allow:
        nets = []
        for a in allow:
            try:
                nets.append(ipaddress.ip_network(a, strict=False))
            except ValueError:
                if a.lower() == host.lower():
                    return first, None
        if all(any(ip in n for n in nets) for ip in addrs):
            return first, None
        return None, f"{host} is not in [notify] webhook_allow"
    for ip in addrs:
        if not ip.is_global:
            return None, f"{host} resolves to a non-public address ({ip}); list it in [notify] webhook_allow"
    return first, None


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to the address checked by ``resolve``, not the name resolved again; the Host header stays the name."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the address checked by ``resolve``: SNI and the certificate's check are the name's."""

    def __init__(self, host: str, port: int | None, address: str, timeout: float,
                 context: ssl.SSLContext | None) -> None:
        super().__init__(host, port, timeout=timeout, context=context or ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


# --- matching -----------------------------------------------------------------------------------------------------
def matches(catalogue: Catalogue, sub: Subscription, f: Finding) -> bool:
    if sub.report is not None or (sub.kind is not None and sub.kind != f.kind):
        return False
    if sub.indicator is not None and f.subject != sub.indicator:
        return False
    return f.unit == sub.unit or (sub.below and f.unit in auth.units_below(catalogue, sub.unit))


def allowed(catalogue: Catalogue, user: auth.User | None, unit: str) -> bool:
    """Whether the user may be told of ``unit``'s warnings now (active, in scope)."""
    return auth.can_read_unpublished(catalogue, user, unit)


# --- the messages -------------------------------------------------------------------------------------------------
def payload(catalogue: Catalogue, item: str, w: WarningRecord, lang: str) -> dict[str, Any]:
    f = w.finding
    return {"item": item, "text": describe(catalogue, f, lang),
            "warning": {"id": w.id, "kind": f.kind, "unit": f.unit, "subject": f.subject, "period": f.period,
                        "expected": f.expected, "seen": f.seen, "since": f.since.isoformat(), "state": w.state,
                        "first_seen": w.first_seen.isoformat(), "last_seen": w.last_seen.isoformat()}}


def email_message(catalogue: Catalogue, f: Finding, lang: str, sender: str, to: str) -> EmailMessage:
    """A warning by mail: the sentence as text, and an HTML part with its key figures."""
    unit, kind = unit_label(catalogue, f.unit, lang), kind_name(f.kind, lang)
    text = describe(catalogue, f, lang)
    msg = EmailMessage()
    msg["Subject"] = t("notify.mail.subject", lang, kind=kind, unit=unit)
    msg["From"], msg["To"] = sender, to
    rows = [(t("notify.mail.unit", lang), unit), (t("notify.mail.kind", lang), kind),
            (t("notify.mail.subject_of", lang), subject_label(catalogue, f, lang)),
            (t("notify.mail.expected", lang), fmt_number(f.expected, 1, lang)),
            (t("notify.mail.seen", lang), fmt_number(f.seen, 1, lang)),
            (t("notify.mail.since", lang), fmt_date(f.since.date(), lang))]
    msg.set_content(text + "\n\n" + "\n".join(f"{k}: {v}" for k, v in rows) + "\n\n" + t("notify.mail.footer", lang))
    cells = "".join(f"<tr><th align=\"left\">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    msg.add_alternative(f"<!doctype html><html lang=\"{lang}\"><body><p>{html.escape(text)}</p>"
                        f"<table>{cells}</table><p><small>{html.escape(t('notify.mail.footer', lang))}</small></p>"
                        "</body></html>", subtype="html")
    return msg


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes) -> str:
    """The ``X-Chiso-Signature`` header's value: ``sha256=`` and the HMAC-SHA256 of the body, in hex (kept for the
    receivers written before ``sign_timed``: it does not cover the timestamp)."""
    return "sha256=" + _hmac_hex(secret, body)


def sign_timed(secret: str, stamp: str, body: bytes) -> str:
    """The ``X-Chiso-Signature-V2`` header's value: ``sha256=`` and the HMAC-SHA256 of ``<X-Chiso-Timestamp>.`` and
    the body: a receiver that checks it and rejects a timestamp older than 5 minutes refuses a replayed request."""
    return "sha256=" + _hmac_hex(secret, stamp.encode() + b"." + body)


# --- reports by subscription ---------------------------------------------------------------------------------------
REPORT_KINDS = {"monthly": PeriodKind.MONTH, "quarterly": PeriodKind.QUARTER, "annual": PeriodKind.YEAR}
MakeReport = Callable[[str, str, str], Path]  # (period, unit, lang) → the report's PDF
MAX_DAY = 60  # a set day: at most this many days after the period's end (as [notify] report_day)
DEFAULT_WHEN = "approved"  # a new report subscription's: when the period's data is approved
APPROVAL_LOOKBACK = 366  # days: a period that ended longer ago is not sent on approval (a late re-approval of an
# old year's form does not mail its report again)


@dataclass(frozen=True)
class When:
    """When a report subscription's report goes: ``approved`` (once the period's data is approved for the unit's
    part, ``watch.approval``), ``day:N`` (N days after the period ends, whatever is approved), or
    ``approved+day:N`` (whichever comes first; never both: one delivery per subscription and period)."""

    approved: bool
    day: int | None

    @classmethod
    def parse(cls, text: object) -> When | None:
        """None: not one of the forms above, or a day outside 0…``MAX_DAY``."""
        if not isinstance(text, str) or len(text) > 20:
            return None
        parts = text.strip().lower().replace(" ", "").split("+")
        approved, day = False, None
        for part in parts:
            if part == "approved" and not approved:
                approved = True
            elif part.startswith("day:") and day is None and part[4:].isdigit() and len(part) <= 6:
                day = int(part[4:])
                if day > MAX_DAY:
                    return None
            else:
                return None
        return cls(approved, day)

    @classmethod
    def of(cls, sub: Subscription, report_day: int) -> When:
        """A subscription's; one made before ``when`` existed goes on ``[notify] report_day``, as it did."""
        return (cls.parse(sub.when) if sub.when else None) or cls(False, report_day)

    def __str__(self) -> str:
        return "+".join((["approved"] if self.approved else []) + ([f"day:{self.day}"] if self.day is not None
                                                                    else []))


def when_label(sub: Subscription, report_day: int, lang: str) -> str:
    """A report subscription's ``When`` in words ("" for a warning subscription)."""
    if sub.report is None:
        return ""
    w = When.of(sub, report_day)
    if w.approved and w.day is not None:
        return t("notify.when.either", lang, n=w.day)
    return t("notify.when.approved", lang) if w.approved else t("notify.when.day", lang, n=w.day)


def report_item(period: Period | str, edition: int = 1) -> str:
    """A report delivery's item: ``report:<period>``, a corrected edition ``report:<period>#<n>``."""
    return f"report:{period}" if edition == 1 else f"report:{period}#{edition}"


def parse_report_item(item: str) -> tuple[str, int]:
    period, _, edition = item.removeprefix("report:").partition("#")
    return period, int(edition) if edition.isdigit() else 1


def reports_due(report: str, since: date, today: date, day: int) -> list[Period]:
    """The periods of a report kind whose report fell due (``day`` days after the period's end) from ``since``
    to ``today``: every one of them, so a scheduler that was down catches up on each period it missed."""
    out = []
    p = Period.containing(REPORT_KINDS[report], today)
    while True:
        due = p.end + timedelta(days=day)
        if due < since:
            break
        if due <= today:
            out.append(p)
        p = p.shift(-1)
    return out[::-1]


def approval_periods(report: str, since: date, today: date) -> list[Period]:
    """The periods a subscription made on ``since`` may be sent on approval by ``today``: ended, not longer ago than
    ``APPROVAL_LOOKBACK``, from the one before the subscription's own (subscribing early in May still brings
    April's report once April is approved), the oldest first."""
    first = Period.containing(REPORT_KINDS[report], since).shift(-1)
    out = []
    p = Period.containing(REPORT_KINDS[report], today).shift(-1)  # the last ended one
    while p.start >= first.start and p.end >= today - timedelta(days=APPROVAL_LOOKBACK):
        out.append(p)
        p = p.shift(-1)
    return out[::-1]


def report_link(did: int, base_url: str | None = None) -> str:
    """Where a delivered report is read: the web app's page that serves the delivery's PDF to its subscriber (logged
    in, the unit still in their scope)."""
    return (base_url or "").rstrip("/") + f"/notifications/{did}/report"


def link_signature(secret: str, did: int, exp: int) -> str:
    """The ``sig`` of a signed link: HMAC-SHA256, with the server's secret, of ``<delivery id>.<expiry>`` (hex)."""
    return _hmac_hex(secret, f"{did}.{exp}".encode())


def signed_report_link(did: int, base_url: str | None, secret: str, exp: int) -> str:
    """The link to a delivered report's PDF that opens it without a session until ``exp`` (Unix seconds): for the
    mail's reader and the webhook's program, who have no login (``check_link``)."""
    return report_link(did, base_url) + f"?exp={exp}&sig={link_signature(secret, did, exp)}"


def check_link(secret: str, did: int, exp: int | None, sig: str | None, at: float) -> str | None:
    """Why a signed link is refused (None: it opens): ``bad`` (no or a wrong signature: changed, mistyped, another
    delivery's, another server's) or ``expired`` (signed right, ``exp`` passed). The signature is checked first, in
    constant time: an expiry pushed forward is ``bad``, not ``expired``."""
    if exp is None or sig is None or not 0 <= exp < MAX_EXP or not HEX64.fullmatch(sig):
        return "bad"
    if not hmac.compare_digest(link_signature(secret, did, exp), sig.lower()):
        return "bad"
    return "expired" if exp <= at else None


def report_text(catalogue: Catalogue, period: str, unit: str, lang: str, edition: int = 1) -> str:
    """An in-app or webhook report notification's sentence (a corrected edition says so first)."""
    text = t("notify.report.ready", lang, period=period, unit=unit_label(catalogue, unit, lang))
    return text if edition == 1 else t("notify.report.corrected_body", lang, n=edition) + " " + text


def report_payload(catalogue: Catalogue, d: Delivery, f: ReportFile, pdf: bytes | None, base_url: str | None,
                   link: tuple[str, int] | None = None) -> dict[str, Any]:
    """A report webhook's body: the report, its link (``link``: a signed one and its expiry, which opens the PDF
    without a session), its PDF's name, SHA-256 and size, and the PDF itself (base64) when ``pdf`` is given (up to
    ``[notify] webhook_pdf_max``)."""
    sub, (period, edition) = d.subscription, parse_report_item(d.item)
    file: dict[str, Any] = {"name": f.name, "sha256": f.sha256, "size": f.size, "media_type": "application/pdf"}
    if pdf is not None:
        file["base64"] = base64.b64encode(pdf).decode("ascii")
    out = {"item": d.item, "report": sub.report, "period": period, "unit": sub.unit, "edition": edition,
           "text": report_text(catalogue, period, sub.unit, sub.lang, edition),
           "link": report_link(d.id, base_url), "pdf": file}
    if link is not None:
        out["link"] = link[0]
        out["link_expires"] = datetime.fromtimestamp(link[1], UTC).replace(tzinfo=None).isoformat() + "Z"
    return out


def report_message(catalogue: Catalogue, period: str, unit: str, lang: str, sender: str, to: str,
                   pdf: Path, edition: int = 1, link: tuple[str, int] | None = None) -> EmailMessage:
    """A report by mail: the PDF attached, and (``link``) a signed link that opens it until its expiry."""
    name = unit_label(catalogue, unit, lang)
    msg = EmailMessage()
    subject = t("notify.report.subject", lang, period=period, unit=name)
    msg["Subject"] = subject if edition == 1 else t("notify.report.corrected", lang, subject=subject, n=edition)
    msg["From"], msg["To"] = sender, to
    text = t("notify.report.body", lang, period=period, unit=name)
    if edition > 1:
        text = t("notify.report.corrected_body", lang, n=edition) + " " + text
    see, see_html = "", ""
    if link is not None:
        until = datetime.fromtimestamp(link[1], UTC) + LOCAL
        when = f"{until:%H:%M} {fmt_date(until.date(), lang)}"
        see = "\n\n" + t("notify.link.mail", lang, link=link[0], until=when)
        see_html = (f"<p><a href=\"{html.escape(link[0])}\">{html.escape(t('notify.link.open', lang))}</a> "
                    f"<small>({html.escape(t('notify.link.until', lang, until=when))})</small></p>")
    msg.set_content(text + see + "\n\n" + t("notify.mail.footer", lang))
    msg.add_alternative(f"<!doctype html><html lang=\"{lang}\"><body><p>{html.escape(text)}</p>{see_html}<p><small>"
                        f"{html.escape(t('notify.mail.footer', lang))}</small></p></body></html>", subtype="html")
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    return msg


# --- digests ------------------------------------------------------------------------------------------------------
LOCAL = timedelta(hours=7)  # Vietnam's time (no daylight saving): a daily digest closes at midnight there


def last_window(kind: str, at: datetime) -> tuple[str, datetime]:
    """The last closed window of a digest at ``at`` (UTC, naive): its label in Vietnam's time (``2026-12-07T08``
    hourly, ``2026-12-07`` daily, the ISO week ``2026-W49`` weekly: a week closes on Monday at 00:00) and its end
    (UTC)."""
    local = at + LOCAL
    if kind == "hourly":
        start = local.replace(minute=0, second=0, microsecond=0)
        return (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H"), start - LOCAL
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind == "weekly":
        monday = start - timedelta(days=start.weekday())  # this week's start: the end of the last closed one
        year, week, _ = (monday - timedelta(days=7)).isocalendar()
        return f"{year}-W{week:02d}", monday - LOCAL
    return (start - timedelta(days=1)).strftime("%Y-%m-%d"), start - LOCAL


WEEK_LABEL = re.compile(r"(\d{4})-W(\d{2})")


def digest_end(item: str) -> datetime:
    """The end (UTC) of a digest item's window: ``digest:<label>``."""
    label = item.removeprefix("digest:")
    week = WEEK_LABEL.fullmatch(label)
    if week:
        monday = date.fromisocalendar(int(week[1]), int(week[2]), 1)
        return datetime(monday.year, monday.month, monday.day) + timedelta(days=7) - LOCAL
    if "T" in label:
        return datetime.strptime(label, "%Y-%m-%dT%H") + timedelta(hours=1) - LOCAL
    return datetime.strptime(label, "%Y-%m-%d") + timedelta(days=1) - LOCAL


def digest_text(catalogue: Catalogue, sub: Subscription, n: int) -> str:
    unit = unit_label(catalogue, sub.unit, sub.lang)
    if sub.digest in ("hourly", "weekly"):
        return t(f"notify.digest.{sub.digest}", sub.lang, n=n, unit=unit)
    return t("notify.digest.daily", sub.lang, n=n, unit=unit)


def digest_message(catalogue: Catalogue, sub: Subscription, ws: list[WarningRecord], sender: str) -> EmailMessage:
    """Many warnings in one mail: a line (a list item) for each, with its unit and kind."""
    lang = sub.lang
    msg = EmailMessage()
    msg["Subject"] = t("notify.digest.subject", lang, n=len(ws), unit=unit_label(catalogue, sub.unit, lang))
    msg["From"], msg["To"] = sender, sub.target or ""
    intro = digest_text(catalogue, sub, len(ws))
    lines = [f"{unit_label(catalogue, w.finding.unit, lang)} — {kind_name(w.finding.kind, lang)}: "
             f"{describe(catalogue, w.finding, lang)}" for w in ws]
    msg.set_content(intro + "\n\n" + "\n".join(f"- {x}" for x in lines) + "\n\n" + t("notify.mail.footer", lang))
    items = "".join(f"<li>{html.escape(x)}</li>" for x in lines)
    msg.add_alternative(f"<!doctype html><html lang=\"{lang}\"><body><p>{html.escape(intro)}</p><ul>{items}</ul>"
                        f"<p><small>{html.escape(t('notify.mail.footer', lang))}</small></p></body></html>",
                        subtype="html")
    return msg


# --- the dispatcher -----------------------------------------------------------------------------------------------
class Dispatcher:
    def __init__(self, catalogue: Callable[[], Catalogue], store: Store, settings: NotifySettings,
                 make_report: MakeReport | None = None) -> None:
        self.catalogue = catalogue
        self.make_report = make_report
        # made in this run: one per (period, unit, language)
        self._reports: dict[tuple[str, str, str], tuple[Path, ReportFile]] = {}
        self.store = store
        self.settings = settings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one run at a time in this process (others are kept apart by the store)
        self.tls: ssl.SSLContext | None = None  # webhooks' TLS; None: the system's trusted CAs (tests set their own)

    # fan-out: warnings → deliveries ------------------------------------------------------------------------------
    def fan_out(self) -> int:
        book = self.store.notify
        after = book.cursor(CURSOR)
        if after is None:  # no subscription made a cursor yet: start from now, not the whole history
            book.start_cursor(CURSOR, self.store.warnings.last_log_id())
            return 0
        made = 0
        while True:
            raised = self.store.warnings.raised_since(after, limit=500)
            if not raised:
                return made
            cat = self.catalogue()
            subs = book.subscriptions(reports=False)
            users = self._users({sub.user_id for sub in subs})
            items = [(sub.id, f"warning:{lid}", w.id) for lid, w in raised for sub in subs
                     if matches(cat, sub, w.finding) and allowed(cat, users.get(sub.user_id), w.finding.unit)]
            after = raised[-1][0]
            made += book.enqueue(items, cursor=CURSOR, position=after, held={sub.id for sub in subs if sub.digest})

    def schedule_reports(self, today: date | None = None) -> int:
        """Deliveries of the reports due to the report subscriptions (``When``), keyed by (subscription,
        ``report:<period>``) whichever path makes it: two schedulers, or an approval and the set day, make it once;
        one back from downtime makes each missed period's.

        - the set day: every period due since the subscription was made (``reports_due``);
        - on approval: each period of ``approval_periods`` whose data is approved for the unit's part
          (``watch.approval``). Approved again after its report was queued (a form reopened, corrected and
          approved): one corrected edition, ``report:<period>#<n>``, per approval that completes it again."""
        today = today or utc_now().date()
        cat = self.catalogue()
        subs = [sub for sub in self.store.notify.subscriptions(reports=True) if sub.report in REPORT_KINDS]
        users = self._users({sub.user_id for sub in subs})
        subs = [sub for sub in subs if allowed(cat, users.get(sub.user_id), sub.unit)]
        made = self.store.notify.report_items(sub.id for sub in subs)
        approvals: dict[tuple[Period, str], Approval] = {}
        items: list[tuple[int, str, int | None]] = []
        for sub in subs:
            assert sub.report is not None
            when = When.of(sub, self.settings.report_day)
            if when.day is not None:
                items += [(sub.id, report_item(p), None)
                          for p in reports_due(sub.report, sub.created_at.date(), today, when.day)]
            if not when.approved:
                continue
            for p in approval_periods(sub.report, sub.created_at.date(), today):
                key = (p, sub.unit)
                if key not in approvals:
                    approvals[key] = approval(cat, self.store, p, sub.unit)
                a = approvals[key]
                if not a.complete:
                    continue
                editions = sorted((parse_report_item(item)[1], state, at) for item, (state, at) in
                                  made[sub.id].items() if parse_report_item(item)[0] == str(p))
                if not editions:
                    items.append((sub.id, report_item(p), None))
                    continue
                n, state, at = editions[-1]
                # approved again after the last edition went: its reader holds older figures. One not sent yet is
                # written from the figures as they are when it goes: nothing more to queue
                if state not in ("pending", "sending") and a.last is not None and a.last > at.replace(microsecond=0):
                    items.append((sub.id, report_item(p, n + 1), None))
        return self.store.notify.add(items)

    def _users(self, ids: set[int]) -> dict[int, auth.User]:
        out = {}
        for uid in ids:
            r = self.store.users.by_id(uid)
            if r is not None:
                out[uid] = auth.user_of(r)
        return out

    # sending ------------------------------------------------------------------------------------------------------
    def deliver_due(self) -> dict[str, int]:
        counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
        book = self.store.notify
        cat = self.catalogue()
        for d in book.claim(self.settings.lease):
            w = self.store.warnings.get(d.warning) if d.warning is not None else None
            user = self._users({d.subscription.user_id}).get(d.subscription.user_id)
            unit = w.finding.unit if w is not None else d.subscription.unit
            if (w is None and not d.item.startswith(("report:", "digest:"))) or not allowed(cat, user, unit):
                # the scope shrank, the user left, the warning went
                if d.item.startswith("digest:"):  # its warnings go with it: not offered to the next digest
                    book.gather(d.subscription.id, d.id, digest_end(d.item))
                    book.digested(d.id, "skipped")
                book.finish(d.id, "skipped", error="out of the user's scope, or no longer there")
                counts["skipped"] += 1
                continue
            try:
                file = self._send(cat, d, w)
            except EmptyDigest:  # every warning it gathered left the user's scope
                book.finish(d.id, "skipped", error="no warning in the user's scope")
                counts["skipped"] += 1
                continue
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
                retry = self.settings.retry
                if d.attempts <= len(retry):
                    book.finish(d.id, "pending", error=error,
                                retry_at=utc_now() + timedelta(seconds=retry[d.attempts - 1]))
                    counts["retry"] += 1
                else:
                    book.finish(d.id, "failed", error=error)
                    counts["failed"] += 1
                    log.warning("delivery %s (%s) failed after %s attempts: %s", d.id, d.subscription.channel,
                                d.attempts, error)
            else:
                book.finish(d.id, "sent", file=file)
                counts["sent"] += 1
        return counts

    def _send(self, cat: Catalogue, d: Delivery, w: WarningRecord | None) -> ReportFile | None:
        """Send one delivery; a report's returns the file it carried (kept on the row: the in-app link, the hash)."""
        sub = d.subscription
        if d.item.startswith("digest:"):
            self._send_digest(cat, d)
            return None
        if w is None:
            return self._send_report(cat, d)
        if sub.channel == "inapp":
            return None  # the row is the notification (GET /api/v1/notifications)
        if sub.channel == "email":
            st = self.settings
            self._mail(email_message(cat, w.finding, sub.lang, st.smtp_from, sub.target or ""))
            return None
        self._post(sub, d, json.dumps(payload(cat, d.item, w, sub.lang), ensure_ascii=False).encode())
        return None

    def _mail(self, msg: EmailMessage) -> None:
        st = self.settings
        if not st.smtp_host and st.outbox:
            folder = Path(st.outbox)
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml"
            tmp = folder / f".{name}.tmp"
            tmp.write_bytes(bytes(msg))
            os.replace(tmp, folder / name)  # a reader of the folder never sees half a mail
            return
        if not st.smtp_host:
            raise WorkspaceError("no SMTP server: set [notify] smtp_host (or outbox) in chiso.toml")
        with smtplib.SMTP(st.smtp_host, st.smtp_port, timeout=st.timeout) as smtp:
            if st.smtp_starttls:
                smtp.starttls()
            if st.smtp_user:
                smtp.login(st.smtp_user, os.environ.get("CHISO_SMTP_PASSWORD", ""))
            smtp.send_message(msg)

    def _send_digest(self, cat: Catalogue, d: Delivery) -> None:
        """The warnings held for the subscription since its last digest (``gather``), in one message; those out of
        the user's scope now are left out (none left: ``EmptyDigest``, the row skipped)."""
        sub = d.subscription
        rows = self.store.notify.gather(sub.id, d.id, digest_end(d.item))
        user = self._users({sub.user_id}).get(sub.user_id)
        ws = [w for w in (self.store.warnings.get(wid) for _, wid in rows if wid is not None)
              if w is not None and allowed(cat, user, w.finding.unit)]
        if not ws:
            self.store.notify.digested(d.id, "skipped")
            raise EmptyDigest(d.item)
        if sub.channel == "email":
            self._mail(digest_message(cat, sub, ws, self.settings.smtp_from))
        elif sub.channel == "webhook":
            body = {"item": d.item, "digest": sub.digest, "until": digest_end(d.item).isoformat() + "Z",
                    "count": len(ws), "text": digest_text(cat, sub, len(ws)),
                    "warnings": [payload(cat, f"warning:{w.id}", w, sub.lang)["warning"] | {
                        "text": describe(cat, w.finding, sub.lang)} for w in ws]}
            self._post(sub, d, json.dumps(body, ensure_ascii=False).encode())
        self.store.notify.digested(d.id)  # in-app: the row is the notification, its warnings those it gathered

    def schedule_digests(self, at: datetime | None = None) -> int:
        """A digest delivery, ``digest:<window>``, for each digest subscription holding warnings made before the end
        of the last window that closed (Vietnam's hours, days and weeks): two schedulers make it once (the unique item);
        one back from downtime makes one digest of everything held since the last (``gather`` takes every held
        warning made before the window's end, a late one too)."""
        at = at or utc_now()
        subs = [sub for sub in self.store.notify.subscriptions(reports=False) if sub.digest in DIGESTS]
        items: list[tuple[int, str, int | None]] = []
        for kind in DIGESTS:
            label, end = last_window(kind, at)
            held = self.store.notify.held_before((sub.id for sub in subs if sub.digest == kind), end)
            items += [(sid, f"digest:{label}", None) for sid in sorted(held)]
        return self.store.notify.add(items)

    def _send_report(self, cat: Catalogue, d: Delivery) -> ReportFile:
        sub, (period, edition) = d.subscription, parse_report_item(d.item)
        path, f = self._report(period, sub.unit, sub.lang)
        if sub.channel == "webhook":
            small = f.size <= self.settings.webhook_pdf_max
            body = report_payload(cat, d, f, path.read_bytes() if small else None, self.settings.base_url,
                                  self._signed(d.id))
            self._post(sub, d, json.dumps(body, ensure_ascii=False).encode())
        elif sub.channel == "email":
            self._mail(report_message(cat, period, sub.unit, sub.lang, self.settings.smtp_from, sub.target or "",
                                      path, edition, self._signed(d.id)))
        return f  # in-app: the row, with its file, is the notification

    def _signed(self, did: int) -> tuple[str, int]:
        """A signed link to delivery ``did``'s PDF, and its expiry: ``[notify] link_days`` from now."""
        exp = int(time.time()) + self.settings.link_days * 86400
        secret = self.store.notify.secret(LINK_SECRET)
        return signed_report_link(did, self.settings.base_url, secret, exp), exp

    def _report(self, period: str, unit: str, lang: str) -> tuple[Path, ReportFile]:
        """The report's PDF for this run, copied under a name of its own content (``<id>-<lang>-<sha256[:16]>.pdf``)
        beside the written one: the written name is the same for every language and edition, so a later report
        would replace it under an earlier delivery's link and hash."""
        key = (period, unit, lang)
        if key not in self._reports:
            if self.make_report is None:
                raise WorkspaceError("this dispatcher cannot write reports")
            written = self.make_report(period, unit, lang)
            data = written.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            path = written.with_name(f"{written.stem}-{lang}-{sha[:16]}.pdf")
            if not path.exists():
                tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)  # whole or not there: a link never serves half a file
            self._reports[key] = (path, ReportFile(path.name, sha, len(data)))
        return self._reports[key]

    def _post(self, sub: Subscription, d: Delivery, body: bytes) -> None:
        url = sub.target or ""
        why = url_problem(url)
        address, why = (None, why) if why else resolve(url, self.settings.webhook_allow)
        if address is None:
            raise PermissionDenied(f"webhook refused: {why}")
        parts = urlsplit(url)
        host, timeout = parts.hostname or "", self.settings.timeout
        conn: http.client.HTTPConnection = (
            _PinnedHTTPS(host, parts.port, address, timeout, self.tls) if parts.scheme == "https"
            else _PinnedHTTP(host, parts.port, address, timeout))
        stamp = str(int(time.time()))
        secret = sub.secret or ""
        try:  # http.client follows no redirect: a 3xx is not a success, and cannot lead the request elsewhere
            conn.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body=body, headers={
                "Content-Type": "application/json; charset=utf-8", "User-Agent": "chiso-notify",
                "X-Chiso-Signature": sign(secret, body), "X-Chiso-Timestamp": stamp,
                "X-Chiso-Signature-V2": sign_timed(secret, stamp, body), "X-Chiso-Delivery": str(d.id)})
            res = conn.getresponse()
            res.read(10_000)
            if not 200 <= res.status < 300:
                raise ConnectionError(f"HTTP {res.status} {res.reason}")
        finally:
            conn.close()

    def run_once(self, today: date | None = None, at: datetime | None = None) -> dict[str, int]:
        """Fan out, schedule reports (as of ``today``) and digests (as of ``at``, UTC), send what is due."""
        with self._lock:
            self._reports.clear()
            made = self.fan_out() + self.schedule_reports(today) + self.schedule_digests(at)
            return {"new": made, **self.deliver_due()}

    # in the background --------------------------------------------------------------------------------------------
    def start(self) -> Dispatcher:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="chiso-notify", daemon=True)
            self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a store briefly away: tried again on the next wake or poll
                log.exception("the notification dispatcher failed; trying again")
            wait = self.settings.poll
            due = self.store.notify.next_due() if not self._stop.is_set() else None
            if due is not None:
                wait = max(0.01, min(wait, (due - utc_now()).total_seconds()))
            self._wake.wait(wait)
            self._wake.clear()
