"""`gsdb report` and the read-only dashboard: self-contained HTML whose charts carry data, rendered in a real
headless Chromium with no console error."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from graph_sitter.config import Settings
from tests.conftest import run_gsdb
from tests.report.conftest import PageWatch

CHARTS_WITH_DATA = ("trend-mean_cyclomatic_complexity", "trend-hotspot_count", "trend-total_lines",
                    "complexity-distribution", "languages", "import-cycles")


@pytest.fixture(scope="module")
def report_file(gsdb_env: dict[str, str], evolving_codebase: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The evolving codebase's report, written by `gsdb report`."""
    out = tmp_path_factory.mktemp("report") / "nested" / "report.html"
    result = run_gsdb(gsdb_env, "report", evolving_codebase, "--html", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_the_report_is_self_contained_and_its_charts_carry_their_data(report_file: Path) -> None:
    text = report_file.read_text()
    assert "http://" not in text and "https://" not in text  # nothing to fetch, no link out
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"(?!data:)", text)
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    counts = dict(re.findall(r'id="([^"]+)" data-chart="[a-z]+" data-count="(\d+)"', text))
    for chart in CHARTS_WITH_DATA:
        assert int(counts.get(chart, 0)) > 0, chart
    assert counts["trend-mean_cyclomatic_complexity"] == "3"  # three runs
    assert int(counts["languages"]) == 2 and int(counts["import-cycles"]) >= 2
    hotspots = re.search(r'id="hotspots" data-count="(\d+)"', text)
    assert hotspots and int(hotspots.group(1)) >= 2 and "pkg.worse.tangled" in text


def test_the_report_renders_in_chromium_with_data_and_no_console_error(report_file: Path,
                                                                      watched_page: PageWatch) -> None:
    page = watched_page.page
    page.goto(report_file.as_uri())
    page.wait_for_load_state("load")
    assert page.title().endswith("code report")
    for chart in CHARTS_WITH_DATA:
        figure = page.locator(f"#{chart}")
        assert int(figure.get_attribute("data-count") or 0) > 0, chart
        box = figure.locator("svg").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, (chart, box)
    assert page.locator("#trend-mean_cyclomatic_complexity circle").count() == 3
    assert page.locator("#import-cycles circle.node").count() >= 2
    assert page.locator("#import-cycles line.edge").count() >= 2
    assert page.locator("#complexity-distribution rect.bar").count() >= 1
    assert page.locator("#hotspots tbody tr").count() >= 2
    tooltip = page.locator("#trend-mean_cyclomatic_complexity circle title").first.text_content() or ""
    assert tooltip.startswith("Mean cyclomatic complexity: ")
    assert watched_page.problems == []


def test_report_errors_are_one_line(gsdb_env: dict[str, str], evolving_codebase: str, tmp_path: Path) -> None:
    unknown = run_gsdb(gsdb_env, "report", "no-such-codebase-here", "--html", str(tmp_path / "r.html"))
    assert unknown.returncode == 1 and unknown.stderr.startswith("gsdb: error: no analysed codebase")
    assert len(unknown.stderr.strip().splitlines()) == 1 and not (tmp_path / "r.html").exists()
    (tmp_path / "dir.html").mkdir()
    directory = run_gsdb(gsdb_env, "report", evolving_codebase, "--html", str(tmp_path / "dir.html"))
    assert directory.returncode != 0 and len(directory.stderr.strip().splitlines()) == 1
    assert "Traceback" not in directory.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def dashboard_url(settings: Settings) -> Iterator[str]:
    """The dashboard routes served by uvicorn on a free loopback port, as `gsdb serve` mounts them."""
    import uvicorn
    from starlette.applications import Starlette

    from graph_sitter.report.dashboard import dashboard_routes

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=dashboard_routes(settings)), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/dashboard/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_dashboard_renders_in_chromium_from_analytics_db(settings: Settings, evolving_codebase: str,
                                                            dashboard_url: str, watched_page: PageWatch,
                                                            tmp_path: Path) -> None:
    from graph_sitter.jobs.config import load_config
    from graph_sitter.jobs.nightly import run_nightly
    from tests.jobs.conftest import make_repo, unique_name, write_config

    config = write_config(tmp_path / "n.toml", [{"name": unique_name("dash"), "path": str(make_repo(tmp_path / "r"))}])
    assert run_nightly(settings, load_config(config)).ok  # a nightly run for the runs widget
    page = watched_page.page
    response = page.goto(dashboard_url)
    assert response is not None and response.ok
    page.get_by_role("link", name="Codebases").click()
    page.wait_for_load_state("load")
    assert page.title() == "Codebases"
    trend = page.locator("figure.chart[data-chart='line']").first
    assert int(trend.get_attribute("data-count") or 0) > 0
    assert trend.locator("circle").count() > 0
    for widget in ("latest_metrics", "distribution", "runs"):
        section = page.locator(f"section[data-widget='{widget}']")
        assert int(section.get_attribute("data-count") or 0) > 0, widget
    assert evolving_codebase in page.locator("section[data-widget='latest_metrics']").inner_text()
    assert "gsdb nightly" in page.content() or "nightly:" in page.locator("section[data-widget='runs']").inner_text()
    missing = page.goto(dashboard_url + "00000000-0000-0000-0000-000000000000")
    assert missing is not None and missing.status == 404
    assert [p for p in watched_page.problems if "404" not in p] == []
