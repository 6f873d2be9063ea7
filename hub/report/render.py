"""The report as one self-contained HTML file: inline SVG charts, no scripts, no fetches,
so it opens from a mail attachment or an artifact store as it is."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path

from hub.report.figures import Bars, ReportFigures

_WIDTH, _BAR_AREA_HEIGHT, _MARGIN = 640, 200, 40
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.totals { display: flex; gap: 2rem; } .totals div { font-size: 1.4rem; }
.totals span { display: block; font-size: .8rem; color: #666; }
figure { margin: 0 0 1rem; } figcaption { color: #555; font-size: .85rem; }
svg text { font-size: 10px; fill: #333; } .bar { fill: #3b6ea8; } .threshold { stroke: #c0392b; }
.empty { color: #888; font-style: italic; }
"""


def _bar_chart(
    name: str, bars: Bars, *, percent: bool = False, marks: dict[str, float] | None = None
) -> str:
    """Vertical bars with their values; `marks` draws labelled vertical lines at x values
    read on the bars' numeric labels (the histogram's thresholds)."""
    if not bars:
        return f'<p class="empty" data-chart="{escape(name)}">nothing to show</p>'
    top = max(value for _, value in bars) or 1.0
    step = (_WIDTH - 2 * _MARGIN) / len(bars)
    parts = []
    for index, (label, value) in enumerate(bars):
        height = _BAR_AREA_HEIGHT * value / top
        x = _MARGIN + index * step
        y = _MARGIN + _BAR_AREA_HEIGHT - height
        shown = f"{value:.0%}" if percent else f"{value:,.0f}"
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" '
            f'height="{height:.1f}"><title>{escape(label)}: {shown}</title></rect>'
            f'<text x="{x + step / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{shown}</text>'
            f'<text x="{x + step / 2:.1f}" y="{_MARGIN + _BAR_AREA_HEIGHT + 12}" '
            f'text-anchor="end" transform="rotate(-35 {x + step / 2:.1f} '
            f'{_MARGIN + _BAR_AREA_HEIGHT + 12})">{escape(label)}</text>'
        )
    for mark, at in (marks or {}).items():
        positions = [float(label) for label, _ in bars]
        width = positions[1] - positions[0] if len(positions) > 1 else 1.0
        x = _MARGIN + (at - positions[0]) / width * step
        if _MARGIN <= x <= _WIDTH - _MARGIN:
            parts.append(
                f'<line class="threshold" x1="{x:.1f}" x2="{x:.1f}" y1="{_MARGIN - 10}" '
                f'y2="{_MARGIN + _BAR_AREA_HEIGHT}"/><text x="{x + 3:.1f}" y="{_MARGIN - 12}">'
                f"{escape(mark)} {at:.1f}</text>"
            )
    height = _BAR_AREA_HEIGHT + 2 * _MARGIN + 50
    return (
        f'<svg data-chart="{escape(name)}" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" role="img">{"".join(parts)}</svg>'
    )


def render_report(figures: ReportFigures, store: str) -> str:
    completeness = "".join(
        f"<figure><figcaption>{escape(source_object)}</figcaption>"
        f"{_bar_chart(f'completeness-{source_object}', bars, percent=True)}</figure>"
        for source_object, bars in figures.completeness.items()
    )
    sections = [
        (
            "Duplicates per system",
            "Records beyond the first of each golden record, within a system.",
            _bar_chart("duplicates", figures.duplicates_per_system),
        ),
        (
            "Golden records by number of members",
            "",
            _bar_chart("cluster-sizes", figures.cluster_sizes),
        ),
        (
            "Match weights of scored pairs",
            "Links and review pairs by match weight (log2 odds, "
            "bins of 2 bits); red lines: the review and match thresholds.",
            _bar_chart("match-weights", figures.match_weights, marks=figures.weight_thresholds),
        ),
        (
            "Field completeness per source object",
            "Share of live records with each canonical field "
            "(a sample of up to 5,000 records per object).",
            completeness or '<p class="empty" data-chart="completeness">nothing to show</p>',
        ),
        ("Open quarantine by reason", "", _bar_chart("quarantine", figures.quarantine_reasons)),
    ]
    body = "".join(
        f"<h2>{escape(title)}</h2><figure><figcaption>{escape(caption)}</figcaption>{chart}</figure>"
        for title, caption, chart in sections
    )
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Relhub data quality</title><style>{_STYLE}</style></head><body>"
        f"<h1>Relhub data quality</h1><p>Store {escape(store)}, generated {generated}.</p>"
        f'<div class="totals"><div>{figures.records:,}<span>records in</span></div>'
        f"<div>{figures.golden_records:,}<span>golden records out</span></div>"
        f"<div>{figures.review_queue:,}<span>pairs waiting for review</span></div></div>"
        f"{body}</body></html>"
    )


def write_report(figures: ReportFigures, store: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(figures, store), encoding="utf-8")
    return path
