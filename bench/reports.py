"""Writing reports: compose (engine answers → sentences) and lay out (HTML, PDF, DOCX).

    .venv/bin/python bench/reports.py [--scale 0.001] [--repeat 3]

A workspace with the 2024 dataset and a simulated 2024 at ``--scale`` (the demo's workspace at 0.001).
For the annual (2024), quarterly (2024Q3) and monthly (2024-04) reports: the time to compose, and to
lay out each format. Baselines, measured in the same run: for composing, one ``engine.value`` with its
comparisons (the primitive a report makes many of); for each format, the same format of a report of
one paragraph (the format's fixed cost: starting typst, python-docx's template).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.001)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from chiso import app as core
    from chiso.catalogue.periods import Period
    from chiso.report import render
    from chiso.report.compose import compose
    from chiso.report.document import Paragraph, Report, Run, Section
    from chiso.report.specs import load_specs, spec_for
    from chiso.simulate import generate

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = core.init_workspace(root / "ws")
        core.load(ws, "vn-2024", "bench")
        summary = generate(2024, args.scale, root / "sim")
        ing = ws.ingestor()
        for f in summary.files:
            ing.ingest_file(f)
        ing.events.close()
        specs = load_specs([ws.root / "catalogue" / "reports"])
        eng = ws.engine
        base_value = median_time(lambda: eng.value("dossier_full_online_rate", "provinces", "2024"), 20 * args.repeat)
        tiny = Report("tiny", "bench", "2024", "annual", "vi", "Báo cáo", "Kỳ báo cáo", "chiso", datetime.now(),
                      (Section("summary", "Kết quả", (Paragraph((Run("Tỷ lệ đạt "), Run("45,8%"))),)),))
        base = {
            "html": median_time(lambda: render.to_html(tiny), args.repeat),
            "pdf": median_time(lambda: render.to_pdf(tiny), args.repeat),
            "docx": median_time(lambda: render.to_docx(tiny), args.repeat),
        }
        rows = []
        for per in ("2024", "2024Q3", "2024-04"):
            p = Period.parse(per)
            spec = spec_for(specs, p, None)
            report = compose(eng, spec, p)
            t_compose = median_time(lambda spec=spec, p=p: compose(eng, spec, p), args.repeat)
            times = {
                "html": median_time(lambda r=report: render.to_html(r), args.repeat),
                "pdf": median_time(lambda r=report: render.to_pdf(r), args.repeat),
                "docx": median_time(lambda r=report: render.to_docx(r), args.repeat),
            }
            rows.append([
                per, str(len(report.figures())),
                f"{c.fmt_s(t_compose)} ({c.fmt_ratio(t_compose / base_value)})",
                *(f"{c.fmt_s(times[k])} ({c.fmt_ratio(times[k] / base[k])})" for k in ("html", "pdf", "docx")),
                f"{len(report.missing)} indicators without data",
            ])
            print(per, rows[-1])
    md = "\n\n".join([
        "## Writing reports",
        f"{c.machine_line()} · {c.stamp()} · `{c.command_line()}`",
        f"A workspace with the 2024 dataset and a simulated 2024 at scale {args.scale:g}; median of "
        f"{args.repeat} runs. Ratios: composing against one `engine.value` with comparisons "
        f"({c.fmt_s(base_value)}); each format against the same format of a one-paragraph report "
        f"(HTML {c.fmt_s(base['html'])}, PDF {c.fmt_s(base['pdf'])}, DOCX {c.fmt_s(base['docx'])}).",
        c.table(["report", "figures stated", "compose (× value)", "HTML (× tiny)", "PDF (× tiny)",
                 "DOCX (× tiny)", "note"], rows),
    ])
    c.update_doc("reports", md)


if __name__ == "__main__":
    main()
