"""``chiso subscribe``, ``chiso subscriptions``, ``chiso unsubscribe``, ``chiso notify run``: subscriptions to early
warnings and their delivery (issue 15 §3; docs/notifications.md). Thin commands over ``chiso.app``."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated

import typer

from chiso import app as core
from chiso.cli.common import out, run, workspace
from chiso.i18n import current_lang
from chiso.i18n import t as say
from chiso.notify import When, when_label

notify_app = typer.Typer(help="Gửi cảnh báo theo đăng ký (deliver the warnings to their subscribers)",
                         no_args_is_help=True)


def subscribe(
    user: Annotated[str, typer.Option("--user", help="the application user who subscribes (their scope applies)")],
    unit: Annotated[str, typer.Option("--unit", "-u", help="the unit (and, unless --only, the units below it)")],
    channel: Annotated[str, typer.Option("--channel", "-c", help="email, webhook or inapp")] = "inapp",
    to: Annotated[str | None, typer.Option("--to", help="the e-mail address or the webhook's URL")] = None,
    secret: Annotated[str | None, typer.Option("--secret", help="the webhook's HMAC key (16-200 characters)")] = None,
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="only this kind of warning")] = None,
    indicator: Annotated[str | None, typer.Option("--indicator", "-i", help="only this indicator")] = None,
    report: Annotated[str | None, typer.Option("--report", help="monthly, quarterly or annual: the unit's report "
                                               "(PDF by e-mail)")] = None,
    when: Annotated[str | None, typer.Option("--when", help="a report's: approved (the default: when the period's "
                                             "data is approved), day:N (N days after the period ends, 0-60) or "
                                             "approved+day:N (whichever comes first)")] = None,
    digest: Annotated[str | None, typer.Option("--digest", help="warnings gathered into one message: hourly, "
                                               "daily or weekly (Vietnam's time); default: each at once")] = None,
    only: Annotated[bool, typer.Option("--only", help="this unit alone, not the units below it")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Đăng ký nhận cảnh báo (subscribe a user to a unit's warnings)."""

    def body() -> None:
        ws = workspace()
        sub = core.subscribe(ws, core.user_named(ws, user), unit=unit, below=not only, indicator=indicator,
                             kind=kind, report=report, when=when, digest=digest, channel=channel, target=to,
                             secret=secret, lang=current_lang())
        if as_json:
            json.dump(sub.public(), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            out.print(say("cli.notify.subscribed", id=sub.id, user=user, unit=sub.unit, channel=sub.channel))
            if sub.report is not None:
                out.print(say("cli.notify.report_when", report=sub.report,
                              when=when_label(sub, ws.notify_settings.report_day, current_lang())))

    run(body)


def subscriptions(
    user: Annotated[str | None, typer.Option("--user", help="only this user's")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Liệt kê đăng ký (list the subscriptions; the secrets are never shown)."""

    def body() -> None:
        ws = workspace()
        rows = core.subscriptions(ws, core.user_named(ws, user) if user else None)
        names = {u.id: u.username for u in ws.store.users.all()}
        day = ws.notify_settings.report_day
        data = [s.public() | {"user": names.get(s.user_id, "?"), "when": str(When.of(s, day)) if s.report else None}
                for s in rows]
        if as_json:
            json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
            return
        if not data:
            out.print(say("cli.notify.none"))
        for d in data:
            what = d["kind"] or d["indicator"] or (f"{d['report']} ({d['when']})" if d["report"] else "*")
            what += f" ({d['digest']})" if d["digest"] else ""
            out.print(f"{d['id']:>5}  {d['user']}  {d['unit']}{'+' if d['below'] else ''}  {what}  {d['channel']}  "
                      f"{d['target'] or ''}", highlight=False)

    run(body)


def unsubscribe(sid: Annotated[int, typer.Argument(help="the subscription's number", min=1, max=2**31 - 1)]) -> None:
    """Hủy một đăng ký (remove a subscription)."""

    def body() -> None:
        core.unsubscribe(workspace(), None, sid)
        out.print(say("cli.notify.unsubscribed", id=sid))

    run(body)


@notify_app.command("run")
def notify_run(
    loop: Annotated[bool, typer.Option("--loop", help="keep delivering (retries, warnings raised elsewhere)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Gửi ngay các cảnh báo mới (deliver what is due now: new warnings, retries)."""

    def body() -> None:
        ws = workspace()
        d = ws.dispatcher()
        while True:
            done = d.run_once()
            if as_json:
                json.dump(done, sys.stdout)
                sys.stdout.write("\n")
            else:
                out.print(say("cli.notify.ran", **done))
            if not loop:
                return
            time.sleep(min(ws.notify_settings.poll, 5.0))

    run(body)
