"""Render a funder brief to one self-contained HTML file and a PDF (Jinja2, then WeasyPrint), written atomically.

The HTML carries its stylesheet inline and its charts as data URIs; the PDF is made from the same HTML with a URL
fetcher that refuses everything but data URIs, so rendering never touches the network. Every string from a user
(scenario names and descriptions, intervention labels, school names) is escaped by Jinja's autoescape.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from actlocally.experiments.brief.anchors import figure
from actlocally.experiments.brief.charts import all_charts
from actlocally.experiments.brief.data import GROUP_WORDS, Brief, Number, brief_data
from actlocally.experiments.brief.meta import plain_date
from actlocally.model.errors import InputError
from actlocally.model.outcomes import METRIC
from actlocally.runtime.storage import atomic_path
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

TEMPLATE = "brief.html.j2"


@dataclasses.dataclass(frozen=True)
class BriefFiles:
    """What `write_brief` wrote."""

    html: Path
    pdf: Path
    png: Path | None = None


def _words(name: str) -> str:
    text = str(name).replace("_", " ")
    return text[:1].upper() + text[1:]


def environment() -> Environment:
    """The Jinja environment: package templates, autoescape on for everything, undefined names are errors."""
    env = Environment(loader=PackageLoader("actlocally.experiments.brief", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["words"] = _words
    env.filters["per"] = lambda metric: METRIC[metric].per
    env.globals["fig"] = figure
    return env


# the change table's standard rows, after the headline's own (metric, words shown beside the label)
STANDARD_ROWS = ("days_attended", "pupils_out_of_persistent_absence", "persistent_absence_pp", "expected_standard_pp",
                 "months_of_progress", "disadvantage_gap_months", "child_difficulty_pp", "mothers_depression_pp",
                 "waiting_days")
_LEVELS = {"days_attended": "{:.1f} days", "persistent_absence_pp": "{:.1f}% persistently absent",
           "expected_standard_pp": "{:.1f}%", "child_difficulty_pp": "{:.1f}% of pupils",
           "mothers_depression_pp": "{:.1f}% of mothers", "waiting_days": "{:.1f} days"}


@dataclasses.dataclass(frozen=True)
class ChangeRow:
    """One row of the brief's change table."""

    number: Number
    group_words: str
    headline: bool
    level: str
    words: str


def change_rows(brief: Brief) -> list[ChangeRow]:
    """The headline outcomes first (marked), then the standard outcomes for all pupils, each once."""
    extra = {"months_of_progress": brief.months_words, "disadvantage_gap_months": brief.gap_words}
    rows, seen = [], set()
    items = [(x.number, x.group_words, True) for x in brief.lead]
    items += [(brief.headlines[m], GROUP_WORDS["all"], False) for m in STANDARD_ROWS]
    for n, words, headline in items:
        if (n.metric, n.group) in seen:
            continue
        seen.add((n.metric, n.group))
        level = brief.baseline_levels.get(n.metric) if n.group == "all" else None
        rows.append(ChangeRow(n, words, headline, _LEVELS[n.metric].format(level) if level is not None else "",
                              extra.get(n.metric, "") if n.group == "all" else ""))
    return rows


def render_html(brief: Brief, made: str | None = None) -> str:
    """The brief as one HTML document (CSS inline, charts embedded)."""
    env = environment()
    css = env.loader.get_source(env, "brief.css")[0]
    rows = change_rows(brief)
    spans_zero = [r.number.label.lower() + ("" if r.group_words == GROUP_WORDS["all"] else f" ({r.group_words})")
                  for r in rows if r.number.spans_zero and not r.number.no_change]
    assumptions: dict[str, list[str]] = {}
    for p in brief.params + brief.overrides:
        if p.assumption:
            assumptions.setdefault(p.owner, []).append(f"{p.name.replace('_', ' ')} ({p.value})")
    return env.get_template(TEMPLATE).render(
        b=brief, charts=all_charts(brief), css=css, groups=GROUP_WORDS, rows=rows, spans_zero=spans_zero,
        assumptions=assumptions, made=made or plain_date(datetime.now(UTC).isoformat(timespec="seconds")))


def _offline_fetcher():
    """A WeasyPrint URL fetcher that serves data: URIs only (no network, no local files) and fails loudly otherwise."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint >= 68
    except ImportError:  # older WeasyPrint: a plain function
        from weasyprint.urls import default_url_fetcher

        def fetch(url: str, *args, **kwargs):
            if not url.startswith("data:"):
                raise ValueError(f"the brief must be self-contained; refused to fetch {url[:80]}")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def write_pdf(html: str, path: Path) -> Path:
    """Render the HTML to PDF with WeasyPrint, atomically."""
    from weasyprint import HTML

    with atomic_path(path) as tmp:
        HTML(string=html, url_fetcher=_offline_fetcher()).write_pdf(tmp)
    return path


def write_page_png(pdf: Path, png: Path, page: int = 0, scale: float = 1.4) -> Path:
    """One page of the PDF as a PNG (pypdfium2), for the README."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        image = doc[page].render(scale=scale).to_pil()
    finally:
        doc.close()
    with atomic_path(png) as tmp:
        image.save(tmp, format="PNG", optimize=True)
    return png


def output_paths(out: Path | None, folder: Path, scenario: str) -> tuple[Path, Path]:
    """(html, pdf) for `--out PATH`: PATH.html and PATH.pdf (a .html/.pdf suffix is dropped); default in `folder`."""
    if out is None:
        out = folder / f"brief_{scenario}"
        if out.resolve().parent != folder.resolve():  # a scenario name from the file must not leave the folder
            raise InputError(folder, "scenario", f"scenario name {scenario!r} would write outside {folder}")
    if out.suffix.lower() in (".html", ".htm", ".pdf"):
        out = out.with_suffix("")
    return out.with_name(out.name + ".html"), out.with_name(out.name + ".pdf")


def write_brief(comparison: Path, scenario: str | None = None, out: Path | None = None, png: Path | None = None,
                posteriors_dir: Path | None = None) -> BriefFiles:
    """Build the brief on one scenario of a comparison and write its HTML, PDF and (optionally) a PNG of page 1."""
    brief = brief_data(comparison, scenario, posteriors_dir)
    folder = comparison if comparison.is_dir() else comparison.parent
    html_path, pdf_path = output_paths(out, folder, brief.scenario)
    html = render_html(brief)
    with atomic_path(html_path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    write_pdf(html, pdf_path)
    if png is not None:
        write_page_png(pdf_path, png)
    return BriefFiles(html_path, pdf_path, png)
