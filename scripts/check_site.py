"""Check the built docs site as a reader would, in headless Chromium.

Serves the built HTML on localhost, opens every page in Debian's Chromium through Selenium and
chromedriver, and asserts that

* every notebook page shows its figures: each of the site's ``<img>`` has loaded
  (``naturalWidth > 0``; third-party images such as the Colab badge are not required offline)
  and there is at least one rendered figure per notebook page;
* no page shows an error output (a traceback or an error cell);
* every internal link resolves: the target page exists, and so does its ``#anchor``;
* every exercise's solution is folded: each ``### Exercise`` heading of a notebook page has its
  solution cell behind a closed "Show code cell source" toggle, which opens on a click.

Screenshots of the landing page and of the first notebook page are written as build artifacts.

Usage::

    python scripts/check_site.py docs/_build/html --screenshots docs/_build/screenshots
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from ig_tutorial.course.markup import BEGIN_SOLUTION

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Flags from this workplace's notes: no background traffic to the (closed) network.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
]
ERROR_SELECTORS = ".output.traceback, .output.error, div.cell_output .ansi-red-fg"
#: An exercise's heading (``### Exercise N.k: ...``) and MyST-NB's toggle of a hide-input cell.
EXERCISE_SELECTOR = "section[id^='exercise-'] > h3"
TOGGLE_SELECTOR = "details.hide.above-input"


def folded_solution_problems(browser: webdriver.Chrome, page: str) -> list[str]:
    """Whether each exercise of the open page hides its solution behind a working toggle."""
    problems = []
    exercises = browser.find_elements(By.CSS_SELECTOR, EXERCISE_SELECTOR)
    toggles = browser.find_elements(By.CSS_SELECTOR, TOGGLE_SELECTOR)
    if len(toggles) < len(exercises):
        problems.append(f"{page}: {len(exercises)} exercises but {len(toggles)} folded solutions")
    for toggle in toggles:
        solution = toggle.find_element(By.CSS_SELECTOR, ".cell_input")
        if toggle.get_attribute("open") is not None or solution.is_displayed():
            problems.append(f"{page}: a solution is shown before its toggle is clicked")
            continue
        browser.execute_script("arguments[0].querySelector('summary').click()", toggle)
        opened = toggle.get_attribute("open") is not None
        if not opened or BEGIN_SOLUTION not in solution.get_attribute("textContent"):
            problems.append(f"{page}: a solution toggle does not open onto the solution")
    return problems


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``directory`` on a free localhost port in a background thread."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def open_browser() -> webdriver.Chrome:
    """Start headless Chromium under chromedriver (both from Debian's packages)."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument("--user-data-dir=/tmp/ig-tutorial-chromium")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def check_site(site: Path, screenshots: Path) -> list[str]:
    """Open every page of ``site``; return the problems found (empty when all is well)."""
    problems: list[str] = []
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    pages = [p for p in pages if not p.startswith(("_modules/", "_static/", "_sources/"))]
    notebook_pages = [p for p in pages if p.startswith("notebooks/")]
    if not notebook_pages:
        problems.append("no notebook pages were built")
    server, root = serve(site)
    browser = open_browser()
    anchors: dict[str, set[str]] = {}
    links: list[tuple[str, str]] = []
    try:
        for page in pages:
            browser.get(urljoin(root, page))
            browser.execute_script("return document.readyState")
            ids = browser.execute_script(
                "return Array.from(document.querySelectorAll('[id]')).map(e => e.id)"
            )
            anchors[page] = set(ids)
            images = browser.execute_script(
                "return Array.from(document.images).map(i => [i.currentSrc || i.src,"
                " i.complete && i.naturalWidth > 0])"
            )
            for source, loaded in images:
                # Third-party images (the Colab badge) cannot load offline; the site's own must.
                if source.startswith(root) and not loaded:
                    problems.append(f"{page}: image did not load: {source}")
            if page in notebook_pages:
                figures = [s for s, ok in images if ok and "/_images/" in s]
                if not figures:
                    problems.append(f"{page}: notebook page shows no figure")
                problems += folded_solution_problems(browser, page)
            for element in browser.find_elements(By.CSS_SELECTOR, ERROR_SELECTORS):
                problems.append(f"{page}: error output: {element.text[:200]!r}")
            for href in browser.execute_script(
                "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
            ):
                if href.startswith(root):
                    links.append((page, href))
            if page == "index.html":
                browser.save_screenshot(str(screenshots / "landing.png"))
            if notebook_pages and page == notebook_pages[0]:
                browser.save_screenshot(str(screenshots / "notebook.png"))
    finally:
        browser.quit()
        server.shutdown()

    for page, href in links:
        target, fragment = urldefrag(href)
        path = urlparse(target).path.lstrip("/") or "index.html"
        if path.endswith("/"):
            path += "index.html"
        if not (site / path).is_file():
            problems.append(f"{page}: broken link to {path}")
        elif fragment and path in anchors and fragment not in anchors[path]:
            problems.append(f"{page}: link to missing anchor {path}#{fragment}")
    print(f"checked {len(pages)} pages ({len(notebook_pages)} notebooks), {len(links)} links")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Run the check; exit status 1 when any problem is found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built HTML folder")
    parser.add_argument("--screenshots", type=Path, default=Path("docs/_build/screenshots"))
    args = parser.parse_args(argv)
    args.screenshots.mkdir(parents=True, exist_ok=True)
    problems = check_site(args.site.resolve(), args.screenshots)
    for problem in problems:
        print("PROBLEM:", problem, file=sys.stderr)
    print(f"screenshots in {args.screenshots}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
