"""The data-quality report: its figures agree with the store, and every chart draws its
data in a real browser (headless Chromium from Debian's packages)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from hub.cli import app
from hub.config import RelhubConfig, load_config
from hub.report import ReportFigures, report_figures, write_report
from hub.resolve import resolve
from hub.store.identity_models import LinkRow, ReviewRow
from hub.store.migrate import open_store
from hub.sync import sync_source

REPO = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
CHARTS = ["duplicates", "cluster-sizes", "match-weights", "quarantine"]


def resolved_sample(url: str) -> tuple[RelhubConfig, Engine]:
    """The README's sample exports, synced and resolved."""
    config = load_config(REPO / "relhub.yaml")
    engine = open_store(url)
    for source in config.sources:
        sync_source(config, engine, source)
    resolve(config, engine)
    return config, engine


def test_figures_agree_with_the_store(store_url: str) -> None:
    config, engine = resolved_sample(store_url)
    figures = report_figures(engine, config.resolution)

    assert sum(count for _, count in figures.cluster_sizes) == figures.golden_records
    assert dict(figures.duplicates_per_system).keys() == {"crm", "hr", "partners"}
    assert all(count > 0 for _, count in figures.duplicates_per_system)
    with engine.connect() as connection:
        pairs = sum(
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (LinkRow, ReviewRow)
        )
    assert sum(count for _, count in figures.match_weights) == pairs
    assert figures.weight_thresholds["review"] < figures.weight_thresholds["match"]
    assert set(figures.completeness) == {
        "crm.accounts",
        "crm.contacts",
        "hr.employees",
        "partners.partner_contacts",
    }
    employees = dict(figures.completeness["hr.employees"])
    assert 0 < employees["national_id"] < 1 and employees["given_name"] == 1
    assert sum(count for _, count in figures.quarantine_reasons) > 0


def _bars_drawn(html: Path, screenshot: Path) -> dict[str, int]:
    """Per chart, the bars the browser laid out with a positive height."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,3000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    try:
        driver.get(html.as_uri())
        drawn: dict[str, int] = driver.execute_script(
            """const drawn = {};
            for (const svg of document.querySelectorAll('svg[data-chart]')) {
              drawn[svg.dataset.chart] = [...svg.querySelectorAll('rect.bar')]
                .filter(bar => bar.getBBox().height > 0).length;
            }
            return drawn;"""
        )
        driver.save_screenshot(str(screenshot))
        return drawn
    finally:
        driver.quit()


def test_every_chart_draws_its_data_in_chromium(tmp_path: Path) -> None:
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs chromium and chromium-driver (.ci/run installs them)")
        pytest.skip("no chromium / chromedriver: apt-get install chromium chromium-driver")
    config, engine = resolved_sample(f"sqlite:///{tmp_path / 'report.db'}")
    figures: ReportFigures = report_figures(engine, config.resolution)
    html = write_report(figures, "test store", tmp_path / "report.html")
    artifacts = Path(os.environ.get("RELHUB_TEST_ARTIFACTS", REPO / ".artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)

    drawn = _bars_drawn(html, artifacts / "report.png")

    for chart in CHARTS:
        assert drawn[chart] > 0, f"chart {chart!r} drew no bars"
    for source_object in figures.completeness:
        assert drawn[f"completeness-{source_object}"] > 0
    assert (artifacts / "report.png").stat().st_size > 10_000


def test_report_command_writes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    resolved_sample(url)
    monkeypatch.setenv("RELHUB_DATABASE_URL", url)
    output = tmp_path / "out" / "quality.html"
    result = CliRunner().invoke(
        app, ["report", "--config", str(REPO / "relhub.yaml"), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert str(output) in result.stdout.replace("\n", "")
    assert output.read_text().count('<rect class="bar"') > 10
