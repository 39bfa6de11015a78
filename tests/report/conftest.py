"""A real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, and analysed codebases to show."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
from graph_sitter.config import Settings
from tests.domains.test_events import make_repo, make_worse, unique_name

CHROMIUM = os.environ.get("GRAPH_SITTER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A Chromium browser; CI (CI=true) fails rather than skip when it is missing (.ci/run installs it)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class PageWatch:
    """A page and everything it complained about: console errors, uncaught exceptions, failed requests."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: list[str] = []
        page.on("console", lambda msg: self.problems.append(f"console {msg.type}: {msg.text}")
                if msg.type in ("error", "warning") else None)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("requestfailed", lambda req: self.problems.append(f"request failed: {req.url}"))


@pytest.fixture()
def watched_page(browser: Any) -> Iterator[PageWatch]:
    """A fresh page whose problems are collected; it may not reach the network."""
    context = browser.new_context(viewport={"width": 1280, "height": 1800}, offline=False)
    page = context.new_page()
    watch = PageWatch(page)
    try:
        yield watch
    finally:
        context.close()


@pytest.fixture(scope="session")
def evolving_codebase(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A codebase analysed three times as it grows worse: trends, hotspots, a cycle, two languages."""
    root = make_repo(tmp_path_factory.mktemp("evolving") / "repo")
    (root / "web").mkdir()
    (root / "web" / "app.js").write_text("export function add(a, b) {\n  if (a) { return a + b; }\n  return b;\n}\n")
    name = unique_name("evolving")
    analyze(root, AnalyzeOptions(name=name, jobs=1), settings)
    make_worse(root)
    analyze(root, AnalyzeOptions(name=name, jobs=1), settings)
    (root / "pkg" / "more.py").write_text("def more(x):\n    return [i for i in range(x) if i % 2]\n")
    analyze(root, AnalyzeOptions(name=name, jobs=1), settings)
    return name
