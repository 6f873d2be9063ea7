"""The data-quality report: a self-contained HTML file of charts read from the store."""

from hub.report.figures import ReportFigures, report_figures
from hub.report.render import render_report, write_report

__all__ = ["ReportFigures", "render_report", "report_figures", "write_report"]
