"""One problem-report type: every importer that reports bad input reports Problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assetmap.access import Principal, Role
from assetmap.imports import preview_import
from assetmap.ingest.hsds import assets_from_hsds
from assetmap.ingest.problems import (
    REPORT_COLUMNS,
    Problem,
    ProblemLog,
    problems_in,
    report_lines,
    rows_rejected,
    summary,
)
from assetmap.ingest.tabular import assets_from_table, read_table
from assetmap.workspace import close_stores, create_workspace

ORUK = Path(__file__).resolve().parents[1] / "data" / "hsds" / "oruk_v1_services.json"
ADMIN = Principal("ana", Role.ADMIN, label="Ana (admin)")
SHEET = (
    b"Name,Latitude,Longitude,Email,Min age,Max age\n"
    b"Oakham Library,52.6712,-0.7311,library@rutland,30,18\n"
    b",52.67,-0.73,,,\n"
)


def test_a_spreadsheet_reports_its_bad_rows_as_problems():
    result = assets_from_table(read_table(SHEET, filename="libraries.csv"))
    assert list(result.report.columns) == list(REPORT_COLUMNS)
    assert list(problems_in(result.report)) == [
        Problem(2, "age", "the minimum age is above the maximum age", "30-18"),
        Problem(2, "email", "does not look like an email address", "library@rutland", "warning"),
        Problem(3, "name", "missing name"),
    ]
    assert rows_rejected(result.report) == 2
    assert summary(result.report) == "2 errors, 1 warnings"


def test_an_hsds_feed_reports_in_the_same_layout():
    service = json.loads(ORUK.read_text(encoding="utf-8"))["content"][0]
    del service["name"]
    result = assets_from_hsds(service)
    assert list(result.report.columns) == list(REPORT_COLUMNS)
    (problem,) = problems_in(result.report)
    assert (problem.row, problem.field, problem.severity) == ("service", "name", "error")
    assert problem.line() == "service, name: required field is missing"


def test_the_workspace_preview_adds_its_place_checks_as_problems(workspace_path):
    workspace = create_workspace(workspace_path)
    try:
        workspace.update_settings(bbox=[-0.6, 52.5, -0.4, 52.8])  # east of Oakham
        preview = preview_import(workspace, ORUK, principal=ADMIN)
    finally:
        close_stores()
    outside = [p for p in problems_in(preview.report) if p.field == "location"]
    assert outside, preview.report
    assert {p.severity for p in outside} == {"warning"}
    assert all(p.problem.startswith("outside the area (-0.6, 52.5, -0.4, 52.8)") for p in outside)
    assert all(p.where.startswith("service_at_location ") for p in outside)


def test_report_lines_name_the_row_field_and_value():
    log = ProblemLog()
    log.add_rows([4, 9], "postcode", ["not a UK postcode", "unknown"], ["XX1", "LE15 9ZZ"])
    log.add("services[0]", "", "an HSDS location record, not a service", severity="warning")
    assert report_lines(log.frame()) == [
        "  error   row 4, postcode: not a UK postcode [XX1]",
        "  error   row 9, postcode: unknown [LE15 9ZZ]",
        "  warning services[0]: an HSDS location record, not a service",
    ]


def test_a_problem_refuses_an_unknown_severity_and_cuts_long_values():
    with pytest.raises(ValueError, match="`severity` must be one of"):
        ProblemLog().add_rows([2], "name", "missing name", severity="fatal")  # type: ignore[arg-type]
    assert len(Problem(2, "description", "too long", "x" * 500).value) == 200
