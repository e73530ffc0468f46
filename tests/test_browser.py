"""The built book as a reader meets it: every page in headless Chromium, with no network.

Builds the book once per session with scripts/build_book.sh (or reuses _build/html when it is
newer than every source of the book), serves it on 127.0.0.1 and checks each page for console
errors and for requests that would leave the machine, then checks mathematics, the static
widgets, the launch links and the layout at 1280 px (nothing scrolls sideways; the column holds
the library's line length). Screenshots land in _build/screenshots/.

Needs Debian's `chromium` and `chromium-driver` (`bash scripts/setup.sh --browser`).
"""
from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
BOOK_SOURCES = ["_config.yml", "_toc.yml", "references.bib", "chapters", "_assets", "_ext",
                "scripts/build_book.sh"]

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip(f"the browser test needs {CHROMIUM} and {CHROMEDRIVER}: "
                "apt-get install chromium chromium-driver (bash scripts/setup.sh --browser)",
                allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def _config():
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


def _notebooks():
    return [f for f in _toc_files() if (ROOT / f).with_suffix(".ipynb").exists()]


def _newest_source_mtime():
    times = []
    for name in BOOK_SOURCES:
        path = ROOT / name
        paths = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        times += [p.stat().st_mtime for p in paths if p.exists()]
    return max(times)


@pytest.fixture(scope="session")
def book():
    """_build/html, built in this session unless it is newer than every source of the book."""
    stamp = HTML / ".buildinfo"
    if not stamp.exists() or stamp.stat().st_mtime < _newest_source_mtime():
        start = time.perf_counter()
        result = subprocess.run(["bash", "scripts/build_book.sh"], cwd=ROOT,
                                capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, (
            f"the book did not build:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        stamp.touch()  # Sphinx leaves it alone when a change (a comment, say) alters no output
        print(f"built the book in {time.perf_counter() - start:.0f} s")
    return HTML


@pytest.fixture(scope="session")
def server(book):
    handler = functools.partial(_QuietHandler, directory=str(book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    driver.get("about:blank")  # what Chromium loads on its own at start is not the book's
    time.sleep(0.5)
    yield driver
    driver.quit()


class Page:
    """One page loaded in the browser, with what it logged and requested while loading."""

    def __init__(self, driver, url):
        driver.get_log("browser"), driver.get_log("performance")  # drop what earlier pages left
        driver.get(url)
        WebDriverWait(driver, 30).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        # Wait for MathJax's typesetting and the widget manager, both asynchronous.
        driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            const typeset = (window.MathJax && MathJax.startup && MathJax.startup.promise)
                || Promise.resolve();
            typeset.then(() => setTimeout(done, 500), () => done());""")
        self.driver = driver
        self.console = driver.get_log("browser")
        self.requests, self.failures = [], []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])
            elif message["method"] == "Network.webSocketCreated":
                self.requests.append(params["url"])
            elif message["method"] == "Network.responseReceived":
                status = params["response"]["status"]
                if status >= 400:
                    self.failures.append(f"{status} {params['response']['url']}")

    def errors(self):
        return [e["message"] for e in self.console if e["level"] == "SEVERE"]

    def external(self):
        return [u for u in self.requests if not _local(u)]


def _local(url):
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


def _page_url(server, docname):
    return f"{server}/{docname}.html"


@pytest.mark.parametrize("docname", _toc_files() + ["search", "genindex"])
def test_page_loads_offline_without_errors(browser, server, docname):
    page = Page(browser, _page_url(server, docname))
    assert page.requests, "no request was recorded: the performance log is not working"
    assert page.external() == [], f"{docname} requests resources outside the machine"
    assert page.failures == [], f"{docname} requests files the build does not have"
    assert page.errors() == [], f"{docname} logs console errors"
    assert "404" not in browser.title


def test_index_opens_the_landing_page(browser, server):
    browser.get(f"{server}/index.html")
    landing = _page_url(server, _toc_files()[0])
    WebDriverWait(browser, 30).until(lambda d: d.current_url == landing)


def test_mathematics_is_typeset(browser, server):
    docname = "chapters/01_building_blocks"
    if docname not in _toc_files():
        pytest.fail(f"{docname} is not in _toc.yml")
    page = Page(browser, _page_url(server, docname))
    containers = browser.find_elements("css selector", "mjx-container")
    assert len(containers) > 0, "MathJax typeset nothing on the building-blocks page"
    assert browser.find_elements("css selector", "mjx-merror") == [], "MathJax reports errors"
    # The CHTML output draws glyphs with MathJax's own web fonts: they must have loaded.
    assert any("/_static/mathjax/" in u for u in page.requests)


@pytest.mark.parametrize("docname", _toc_files())
def test_every_formula_is_typeset(browser, server, docname):
    Page(browser, _page_url(server, docname))
    untypeset = browser.execute_script("""
        return Array.from(document.querySelectorAll('.math'))
            .filter(el => !el.querySelector('mjx-container') && el.tagName !== 'MJX-CONTAINER')
            .map(el => el.textContent.slice(0, 80));""")
    assert untypeset == []


def test_static_widget_responds_to_input(browser, server):
    pages = [d for d in _notebooks() if "explorer-static" in (HTML / f"{d}.html").read_text()]
    assert pages, "no chapter page carries a static explorer (lib.widgets.explore)"
    Page(browser, _page_url(server, pages[0]))
    changed = browser.execute_script("""
        const root = document.querySelector('.explorer-static');
        const answer = root.querySelector('.explorer-answer');
        for (const input of root.querySelectorAll('input[type=range]')) {
            const start = input.value, before = answer.innerHTML;
            const label = input.nextElementSibling.textContent;
            for (let v = Number(input.min); v <= Number(input.max); v++) {
                if (String(v) === start) continue;
                input.value = String(v);
                input.dispatchEvent(new Event('input', {bubbles: true}));
                if (answer.innerHTML !== before)
                    return {label_before: label, label_after: input.nextElementSibling.textContent};
            }
            input.value = start;
            input.dispatchEvent(new Event('input', {bubbles: true}));
        }
        return null;""")
    assert changed is not None, f"moving the sliders of the first explorer on {pages[0]} changed nothing"
    assert changed["label_before"] != changed["label_after"], "the slider's value label did not follow"


@pytest.mark.parametrize("docname", _notebooks())
def test_widget_manager_draws_the_views_of_pages_that_have_them(browser, server, docname):
    """Widget outputs without an HTML version are drawn from the saved state; pages with none
    do not load the manager."""
    page = Page(browser, _page_url(server, docname))
    views = browser.find_elements("css selector",
                                  "script[type='application/vnd.jupyter.widget-view+json']")
    loads_manager = any("/_static/jupyter-widgets/embed-amd.js" in u for u in page.requests)
    assert loads_manager == bool(views)
    if views:
        assert browser.find_elements("css selector", ".jupyter-widgets, .widget-container"), (
            "the saved widget state was not drawn")


@pytest.mark.parametrize("docname", _notebooks())
def test_launch_links_open_this_notebook_on_the_right_branch(browser, server, docname):
    config = _config()
    url, branch = config["repository"]["url"].rstrip("/"), config["repository"]["branch"]
    org_repo = urlsplit(url).path.strip("/")
    Page(browser, _page_url(server, docname))
    hrefs = [a.get_attribute("href") for a in browser.find_elements("css selector", "a[href]")]
    colab = f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{docname}.ipynb"
    binder = f"https://mybinder.org/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{docname}.ipynb"
    assert colab in hrefs
    assert binder in hrefs


# The library's line length: code of this many characters fits the column at 1280 px, in code
# cells, outputs and shown source alike (_assets/course.css gives the column its width).
LINE_LENGTH = 99

# Pages with blocks that still scroll sideways at 1280 px, and how many. The counts only go down:
# a page may have at most its count, and a page that has fewer fails until its entry is lowered
# (or removed at zero), so that a block fixed once stays fixed. Every other page has none.
SCROLLS_SIDEWAYS = {}

# Every block in the article that scrolls (or clips) sideways, hidden outputs and answers opened
# first: what it is, where, its first line and by how much it is too wide. The article itself
# counts when something spills out of the column without a scroll bar of its own.
SIDEWAYS_BLOCKS_JS = """
const article = document.querySelector('article.bd-article');
article.querySelectorAll('details').forEach(d => { d.open = true; });
article.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
const cells = Array.from(article.querySelectorAll('div.cell'));
const canvas = document.createElement('canvas').getContext('2d');
const firstLine = text => (text.split('\\n').find(l => l.trim()) || '').trim().slice(0, 80);
function section(el) {
    const heading = el.closest('section')?.querySelector(':scope > :is(h1, h2, h3, h4)');
    return heading ? heading.textContent.replace(/#$/, '').trim() : '';
}
function describe(el) {
    const cell = el.closest('div.cell');
    const where = cell ? `cell ${cells.indexOf(cell) + 1}` : 'text';
    const table = el.matches('table') ? el : el.querySelector('table');
    const kind = el.closest('.cell_input') ? 'code'
        : el.closest('.cell_output') ? (table ? 'output table' : 'output')
        : table ? 'table' : el.matches('mjx-container') ? 'formula'
        : el.matches('pre') ? 'code block' : el.tagName.toLowerCase();
    const style = getComputedStyle(el);
    let excess = `${el.scrollWidth - el.clientWidth} px too wide`;
    if (el.matches('pre')) {
        canvas.font = `${style.fontSize} ${style.fontFamily}`;
        const width = el.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
        const columns = Math.floor(width / canvas.measureText('x'.repeat(100)).width * 100);
        const longest = Math.max(...el.textContent.split('\\n').map(l => l.length));
        excess = `longest line ${longest} characters, the column holds ${columns}`;
    }
    const text = table
        ? Array.from(table.rows[0]?.cells || []).map(c => c.innerText.trim()).join(' | ')
        : el.innerText || el.textContent;
    return {kind, where, section: section(el), first_line: firstLine(text), excess};
}
const blocks = [];
for (const el of article.querySelectorAll('*')) {
    if (el.closest('span.math') || (el.closest('mjx-container') && !el.matches('mjx-container')))
        continue;  // MathJax's own boxes inside inline formulas clip glyph overhangs on purpose
    if (el.scrollWidth - el.clientWidth <= 1) continue;
    if (getComputedStyle(el).overflowX !== 'visible') blocks.push(describe(el));
}
if (article.scrollWidth - article.clientWidth > 1) {
    const right = article.getBoundingClientRect().right;
    const spill = Array.from(article.querySelectorAll('*'))
        .find(el => el.getBoundingClientRect().right > right + 1);
    const block = describe(spill || article);
    block.kind = 'spills out of the column: ' + block.kind;
    block.excess = `${article.scrollWidth - article.clientWidth} px past the column`;
    blocks.push(block);
}
return blocks;
"""


def test_pages_known_to_scroll_sideways_are_pages_of_the_book():
    assert set(SCROLLS_SIDEWAYS) <= set(_toc_files())
    assert all(count > 0 for count in SCROLLS_SIDEWAYS.values()), "remove entries at 0"


def _page_scrolls_sideways(driver):
    return driver.execute_script(
        "const e = document.documentElement; return e.scrollWidth - e.clientWidth > 1;")


@pytest.mark.parametrize("docname", _toc_files())
def test_no_block_scrolls_sideways_at_1280_px(browser, server, docname):
    """Code cells, outputs, shown source, tables and formulas fit the column at 1280 px; the page
    itself never scrolls sideways, at 1280 px nor on a narrow screen."""
    Page(browser, _page_url(server, docname))
    assert browser.get_window_size()["width"] == 1280
    blocks = browser.execute_script(SIDEWAYS_BLOCKS_JS)
    listing = "\n".join(f"  {b['kind']}, {b['where']} in \"{b['section']}\": "
                        f"{b['first_line']!r} ({b['excess']})" for b in blocks)
    allowed = SCROLLS_SIDEWAYS.get(docname, 0)
    assert len(blocks) <= allowed, (
        f"{docname}: {len(blocks)} blocks scroll sideways at 1280 px (at most {allowed}); format "
        f"code to {LINE_LENGTH} characters, split or reshape tables:\n{listing}")
    assert len(blocks) == allowed, (
        f"{docname}: {len(blocks)} blocks scroll sideways, fewer than the {allowed} allowed: "
        f"lower its entry in SCROLLS_SIDEWAYS to {len(blocks)} (remove it at 0)\n{listing}")
    assert not _page_scrolls_sideways(browser), f"{docname} scrolls sideways at 1280 px"
    try:
        browser.set_window_size(800, 900)
        WebDriverWait(browser, 5).until(lambda d: d.execute_script("return innerWidth") < 900)
        assert not _page_scrolls_sideways(browser), f"{docname} scrolls sideways at 800 px"
    finally:
        browser.set_window_size(1280, 900)


@pytest.mark.parametrize("width", [1280, 1600])
def test_the_column_holds_the_library_line_length(browser, server, width):
    """At 1280 px the page's contents move into the article header's drawer to make room; from
    1536 px they come back as a column beside it. Either way a line of LINE_LENGTH characters
    fits in code cells and outputs, and the contents button opens the contents."""
    docname = _notebooks()[0]
    try:
        browser.set_window_size(width, 900)
        Page(browser, _page_url(server, docname))
        columns = browser.execute_script("""
            const canvas = document.createElement('canvas').getContext('2d');
            return ['.cell_input pre', '.cell_output pre'].map(selector => {
                const pre = document.querySelector('article ' + selector);
                const style = getComputedStyle(pre);
                canvas.font = `${style.fontSize} ${style.fontFamily}`;
                const width = pre.clientWidth - parseFloat(style.paddingLeft)
                    - parseFloat(style.paddingRight);
                return Math.floor(width / canvas.measureText('x'.repeat(100)).width * 100);
            });""")
        assert min(columns) >= LINE_LENGTH, (
            f"at {width} px code cells hold {columns[0]} and outputs {columns[1]} characters")
        sidebar = browser.find_element("css selector", "#pst-secondary-sidebar")
        toggles = [b for b in browser.find_elements("css selector",
                                                    ".bd-header-article .secondary-toggle")
                   if b.is_displayed()]
        if width < 1536:
            assert not sidebar.is_displayed(), f"the contents take a column at {width} px"
            assert toggles, f"no contents button in the article header at {width} px"
            toggles[0].click()
            WebDriverWait(browser, 5).until(lambda d: d.execute_script(
                "return document.getElementById('pst-secondary-sidebar-modal').open"))
            dialog = browser.find_element("css selector", "#pst-secondary-sidebar-modal")
            assert dialog.find_elements("css selector", "nav.page-toc a[href^='#']")
            assert dialog.is_displayed()
        else:
            assert sidebar.is_displayed() and not toggles
            assert sidebar.find_elements("css selector", "nav.page-toc a[href^='#']")
    finally:
        browser.set_window_size(1280, 900)


def test_screenshots(browser, server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chapter = _notebooks()[0]
    for name, docname in (("landing", _toc_files()[0]), (Path(chapter).name, chapter)):
        browser.set_window_size(1280, 900)
        Page(browser, _page_url(server, docname))
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1280, min(max(height, 900), 6000))
        time.sleep(0.3)
        path = SCREENSHOTS / f"{name}.png"
        assert browser.save_screenshot(str(path)), f"could not save {path}"
        assert path.stat().st_size > 10_000
    browser.set_window_size(1280, 900)
