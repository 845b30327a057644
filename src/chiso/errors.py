"""The one exception tree of chiso.

ChisoError                     every error chiso raises on purpose; ``str(e)`` is one clear line
├── DefinitionError            a definition file (units, indicators, targets) is wrong: names file, entry, reason
├── UnknownNameError           a code, unit or period was not understood: names it and the nearest valid names
│   ├── UnknownIndicatorError
│   ├── UnknownUnitError
│   ├── UnknownPeriodError
│   ├── UnknownStructureError  a unit structure other than 2024, 2025 or a date
│   ├── UnknownIndexError      a composite index code (qd766, dti_province, egdi…)
│   ├── UnknownWarningError    a warning's number that is not one (``chiso warnings seen 99``)
│   ├── UnknownSubscriptionError  a subscription's number that is not one (or not the user's)
│   └── UnknownNotificationError  a notification's number that is not one of the user's (or has no report)
├── ValidationError            input values broke a rule; carries every ``Problem`` (row, field, reason)
├── NumberError                a typed number is not one, or reads two ways (1.234); also a ValueError
├── ImportFileError            an import file could not be read at all (format, columns)
├── WorkspaceError             no workspace where one is needed, or a workspace that cannot be opened
├── PermissionDenied           the acting user may not see or change this unit or value
│   └── LinkRefused            a signed link to a delivered report expired, or its signature does not match
├── ConflictError              the value changed since the caller read it (optimistic locking)
├── StructureError             a unit asked in a unit structure it is not part of, with no single successor
├── IndexScoreError            an index cannot score this unit or period (no version then, not its units, no rebase)
├── RenderError                a report could not be laid out in a format (typst failed, an unknown format)
├── NotAuthenticated           a request needs a logged-in user (or a token) and has none
├── ParameterError             a name in a request's path or query not understood: its field and its UnknownNameError
└── HttpProblem                an answer of the web with its own status and problem type (``slug``), naming the field

EmptyDigest                    not a ChisoError: a digest whose warnings all left the user's scope; the dispatcher
                               skips it, no user sees it

The web maps each class to an HTTP status and a problem type in one table (``chiso.web.problems``).
Messages come from ``chiso.i18n`` (the layer below this one); ``render(lang)`` gives an error's text in the
user's language. ``tests/test_errors_tree.py`` fails when an error class is defined elsewhere or missing here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date

from chiso.i18n import MESSAGES, current_lang, fmt_date, t


class ChisoError(Exception):
    """Base of every error chiso raises on purpose."""

    def render(self, lang: str | None = None) -> str:
        """The message in the user's language (subclasses with Vietnamese text override this)."""
        return str(self)


class DefinitionError(ChisoError):
    def __init__(self, file: str, entry: str | None, reason: str) -> None:
        self.file, self.entry, self.reason = file, entry, reason
        where = f"{file}, {entry}" if entry else file
        super().__init__(f"{where}: {reason}")


class UnknownNameError(ChisoError):
    kind = "name"
    msg_id = "unknown.name"

    def __init__(self, name: str, suggestions: list[str] | None = None, detail: str = "") -> None:
        self.name = name
        self.suggestions = list(suggestions or [])
        msg = f"unknown {self.kind} {name!r}"
        if detail:
            msg += f" ({detail})"
        if self.suggestions:
            msg += "; did you mean: " + ", ".join(self.suggestions)
        super().__init__(msg)

    def problem(self, row: int | None, field: str | None) -> Problem:
        """This error as a row problem, keeping its message id so it renders in the user's language."""
        return Problem(row, field, self.msg_id, {"name": self.name, "suggest": ", ".join(self.suggestions)})

    def render(self, lang: str | None = None) -> str:
        text = t(self.msg_id, lang, name=self.name)
        if self.suggestions:
            text += "; " + t("did_you_mean", lang, names=", ".join(self.suggestions))
        return text


class UnknownIndicatorError(UnknownNameError):
    kind, msg_id = "indicator code", "unknown.indicator"


class UnknownUnitError(UnknownNameError):
    kind, msg_id = "unit", "unknown.unit"


class UnknownPeriodError(UnknownNameError):
    kind, msg_id = "period", "unknown.period"


class UnknownStructureError(UnknownNameError):
    kind, msg_id = "unit structure", "unknown.structure"


class UnknownIndexError(UnknownNameError):
    kind, msg_id = "index code", "unknown.index"


class UnknownWarningError(UnknownNameError):
    kind, msg_id = "warning", "unknown.warning"


class UnknownSubscriptionError(UnknownNameError):
    kind, msg_id = "subscription", "unknown.subscription"


class UnknownNotificationError(UnknownNameError):
    kind, msg_id = "notification", "unknown.notification"

    def __init__(self, name: str, *, report: bool = True) -> None:
        super().__init__(name)
        if not report:  # marking it read: any notification of the user's, with a report or not
            self.msg_id = "unknown.notification.any"


class IndexScoreError(ChisoError):
    """An index cannot be scored as asked; ``msg_id`` and ``params`` give the reason in the user's language."""

    def __init__(self, msg_id: str, **params: object) -> None:
        self.msg_id, self.params = msg_id, params
        super().__init__(t(msg_id, "en", **params))

    def render(self, lang: str | None = None) -> str:
        return t(self.msg_id, current_lang(lang), **self.params)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input row: ``reason`` is a message id of ``chiso.i18n``."""

    row: int | None  # row number as the user sees it in the file; None for the whole input
    field: str | None
    reason: str
    params: Mapping[str, object] = dc_field(default_factory=dict)
    value: str | None = None

    def render(self, lang: str | None = None) -> str:
        parts = []
        if self.row is not None:
            parts.append(t("row", lang, row=self.row))
        if self.field:
            parts.append(t("field", lang, field=self.field))
        params = {k: v for k, v in self.params.items() if k != "suggest"}
        text = t(self.reason, lang, **params) if self.reason in MESSAGES else self.reason
        if self.params.get("suggest"):
            text += "; " + t("did_you_mean", lang, names=self.params["suggest"])
        if self.value not in (None, ""):
            text += f" ({t('got', lang, value=self.value)})"
        return f"{', '.join(parts)}: {text}" if parts else text

    def __str__(self) -> str:
        return self.render("en")


class ValidationError(ChisoError):
    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        super().__init__(self.render("en"))

    def render(self, lang: str | None = None) -> str:
        head = f"{self.source}: " if self.source else ""
        first = self.problems[0].render(lang) if self.problems else "invalid input"
        more = f" (+{len(self.problems) - 1})" if len(self.problems) > 1 else ""
        return f"{head}{first}{more}"


class EmptyDigest(Exception):
    """A digest with no warning left to tell (all out of the user's scope now): the dispatcher skips it, no user
    sees it."""


class ImportFileError(ChisoError):
    def __init__(self, file: str, reason: str) -> None:
        self.file, self.reason = file, reason
        super().__init__(f"{file}: {reason}")


class WorkspaceError(ChisoError):
    pass


class PermissionDenied(ChisoError):
    pass


class LinkRefused(PermissionDenied):
    """A signed link to a delivered report's PDF refused: ``reason`` is ``expired`` or ``bad``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the link to the report is refused: {reason}")

    def render(self, lang: str | None = None) -> str:
        return t(f"notify.link.{self.reason}", lang)


class ConflictError(ChisoError):
    pass


class StructureError(ChisoError):
    """The asked unit is not part of the asked unit structure, and no single unit took it over whole."""

    def __init__(
        self, unit: str, structure: date, successors: Sequence[str], *, since: date | None = None
    ) -> None:
        self.unit, self.structure, self.successors, self.since = unit, structure, list(successors), since
        super().__init__(self.render("en"))

    def render(self, lang: str | None = None) -> str:
        if self.since is not None and self.since > self.structure:
            return t("rebase.not_yet", lang, unit=self.unit, date=fmt_date(self.structure, lang),
                     since=fmt_date(self.since, lang))
        return t("rebase.not_in_structure", lang, unit=self.unit, date=fmt_date(self.structure, lang),
                 successors=", ".join(self.successors) or "—")


class NumberError(ChisoError, ValueError):
    """Text that is not a number (``reason`` "not_a_number") or reads two ways ("ambiguous_number");
    ``reason`` and ``params`` are a ``chiso.i18n`` message id and its parameters."""

    def __init__(self, text: str, reason: str = "not_a_number", params: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.reason = reason
        self.params = params or {}


class RenderError(ChisoError):
    """A report could not be laid out in a format (typst failed, an unknown format): names format and reason."""

    def __init__(self, what: str, reason: str) -> None:
        self.what, self.reason = what, reason
        super().__init__(f"report {what}: {reason}")

    def render(self, lang: str | None = None) -> str:
        if current_lang(lang) == "en":
            return str(self)
        return f"Không tạo được báo cáo ({self.what}): {self.reason}"


class NotAuthenticated(ChisoError):
    """A request needs a logged-in user (or an event source's token) and has none: 401 for the API, a redirect to
    the login page for the HTML pages."""

    def __init__(self, detail: str = "session: not logged in, or the session expired; log in with "
                                      "POST /api/v1/session") -> None:
        super().__init__(detail)


class ParameterError(ChisoError):
    """A name in a request's path or query (``field``) was not understood (``exc``). The web answers it with the
    status and problem type of the cause (``chiso.web.problems``): 404 for a name in the path (no such
    resource), or ``status`` when given."""

    def __init__(self, field: str, exc: UnknownNameError, *, in_path: bool = False, status: int | None = None) -> None:
        super().__init__(f"{field}: {exc}")
        self.field, self.exc, self.in_path, self.status = field, exc, in_path, status

    def render(self, lang: str | None = None) -> str:
        return self.exc.render(lang)


class HttpProblem(ChisoError):
    """An answer of the web with its own HTTP status and problem type: ``detail`` names the field at fault;
    ``extra`` (field, value, suggestions…) goes into the problem document as it is."""

    def __init__(self, status: int, slug: str, detail: str, *, title: str | None = None,
                 headers: Mapping[str, str] | None = None, **extra: object) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail, self.title = status, slug, detail, title
        self.headers = dict(headers) if headers else None
        self.extra = extra
