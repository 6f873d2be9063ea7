"""`relhub emulate` finds the stand-ins through entry points, not by importing a module name."""

from __future__ import annotations

from typer.testing import CliRunner

from hub.cli import app
from hub.cli.emulate import installed_emulators

runner = CliRunner()


def test_the_emulators_distribution_offers_each_system() -> None:
    points = installed_emulators()
    assert {"salesforce", "hubspot", "bamboohr", "partnerstack"} <= set(points)
    assert {point.dist.name for point in points.values() if point.dist} == {"relhub-emulators"}
    assert callable(points["hubspot"].load())


def test_an_unknown_system_is_exit_2_naming_the_installed_ones() -> None:
    result = runner.invoke(app, ["emulate", "workday"])
    assert result.exit_code == 2
    available = result.stderr.partition("(available: ")[2].partition(")")[0].split(", ")
    assert "no emulator for 'workday'" in result.stderr and {"hubspot", "salesforce"} <= set(
        available
    )
    assert "relhub-emulators" in result.stderr
