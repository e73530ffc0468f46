"""The book's structure, read from its files without building it: the table of contents against
the chapters on disk, each chapter's first code cell and stored outputs, citations, the
configuration that keeps pages offline, and the Binder environment."""
from __future__ import annotations

import ast
import importlib.metadata as metadata
import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())

_spec = importlib.util.spec_from_file_location("bootstrap_cell", ROOT / "scripts" / "bootstrap_cell.py")
bootstrap_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bootstrap_cell)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IGNORE_OUTPUT = "nbval-ignore-output"


def toc_files():
    files = [TOC["root"]]
    for part in TOC.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def notebook_paths():
    return sorted(CHAPTERS.glob("*.ipynb"))


def source_of(docname):
    """The file behind a toc entry (entries carry no suffix)."""
    candidates = [ROOT / f"{docname}{suffix}" for suffix in (".ipynb", ".md")]
    return next((p for p in candidates if p.exists()), None)


NOTEBOOKS = [pytest.param(p, id=p.stem) for p in notebook_paths()]


# --- Table of contents -------------------------------------------------------------------------

def test_toc_is_a_book_rooted_at_the_landing_page():
    assert TOC["format"] == "jb-book"
    assert TOC["root"] == "chapters/intro"
    assert TOC["parts"], "the toc has no parts"
    for part in TOC["parts"]:
        assert part.get("caption"), f"a part without a caption: {part}"
        assert part.get("chapters"), f"part {part['caption']!r} is empty: leave it commented out"


def test_every_toc_entry_exists():
    missing = [f for f in toc_files() if source_of(f) is None]
    assert missing == [], f"_toc.yml lists files that do not exist: {missing}"


def test_every_page_in_chapters_is_in_the_toc():
    listed = {str(source_of(f).relative_to(ROOT)) for f in toc_files() if source_of(f)}
    on_disk = {str(p.relative_to(ROOT)) for p in sorted(CHAPTERS.glob("*.ipynb"))
               + sorted(CHAPTERS.glob("*.md"))}
    assert on_disk - listed == set(), "pages in chapters/ missing from _toc.yml"


def test_chapters_are_listed_in_their_numbered_order():
    numbers = [int(m.group(1)) for f in toc_files()
               if (m := re.match(r"chapters/(\d+)_", f))]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), numbers


def test_only_the_book_is_a_source():
    """Every page Sphinx would find is in the toc: the rest of the repository is excluded."""
    from sphinx.util.matching import get_matching_files
    excludes = sorted({"_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints",
                       *CONFIG["exclude_patterns"]})
    found = {str(Path(p).with_suffix("")) for p in get_matching_files(ROOT, ("**",), excludes)
             if Path(p).suffix in (".md", ".ipynb", ".rst")}
    assert found == set(toc_files()), f"not excluded and not in the toc: {found - set(toc_files())}"


# --- Chapters ---------------------------------------------------------------------------------

def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_first_code_cell_is_the_bootstrap_cell(path):
    first = code_cells(read(path))[0]
    assert first.source == bootstrap_cell.cell_source(), (
        f"run `python scripts/bootstrap_cell.py {path.relative_to(ROOT)}`")
    assert first.metadata.get("tags") == bootstrap_cell.TAGS


def test_bootstrap_cell_installs_the_release_of_the_configured_repository():
    import lib
    url = CONFIG["repository"]["url"].rstrip("/")
    targets = re.findall(r'"(git\+[^"]+)"', bootstrap_cell.cell_source())
    assert targets == [f"git+{url}@v{lib.__version__}"]
    assert lib.RELEASE == f"v{lib.__version__}" and re.fullmatch(r"\d+\.\d+\.\d+", lib.__version__)
    version = [int(n) for n in lib.__version__.split(".")]
    assert f"< {version}" in bootstrap_cell.cell_source(), "the cell compares with another release"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_chapter_has_one_title(path):
    """The page title, and its entry in the navigation, is the one level-1 heading."""
    titles = []
    for cell in read(path).cells:
        if cell.cell_type == "markdown":
            text = re.sub(r"^(```|~~~).*?^\1", "", cell.source, flags=re.M | re.S)
            titles += re.findall(r"^# .+", text, re.M)
    assert len(titles) == 1, titles


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_committed_with_outputs_from_one_run(path):
    """Every non-empty code cell ran, in order, in one kernel, without an error."""
    cells = [c for c in code_cells(read(path)) if c.source.strip()]
    counts = [c.execution_count for c in cells]
    assert None not in counts, (
        f"cells without outputs: run `python scripts/execute_notebooks.py {path.relative_to(ROOT)}`")
    assert counts == list(range(1, len(cells) + 1)), "not executed top to bottom in one run"
    errors = [c.source.splitlines()[0] for c in cells
              if any(o.output_type == "error" for o in c.outputs)]
    assert errors == [], "cells stored with errors"


def _is_explorer(output):
    return "explorer-static" in output.get("data", {}).get("text/html", "")


def _is_cost_table(output):
    data = output.get("data", {})
    text = output.get("text", "") + data.get("text/plain", "")
    return ("cost-table" in data.get("text/html", "")
            or text.startswith("Cost(params=")
            or re.search(r"^layer\s+type\s+output shape\s+params\s+MACs", text, re.M) is not None)


def ignores_output(cell):
    return IGNORE_OUTPUT in cell.metadata.get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_test_markers_are_tags_not_comments(path):
    """What a student reads is course content: nbval's markers live in the cell's tags."""
    from nbval.plugin import comment_markers
    marked = [c.source.splitlines()[0] for c in code_cells(read(path))
              if any(line.strip().lstrip("#").strip() in comment_markers
                     for line in c.source.splitlines() if line.strip().startswith("#"))]
    assert marked == [], f"use the {IGNORE_OUTPUT!r} cell tag instead of a comment"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_deterministic_outputs_are_compared(path):
    """Ignored outputs are for training and timing; widgets and cost tables are compared.

    Widget outputs with no HTML version (training progress bars) may sit in ignored cells."""
    ignored = [c for c in code_cells(read(path)) if ignores_output(c)]
    wrongly = [c.source.splitlines()[:1] for c in ignored
               if any(_is_explorer(o) or _is_cost_table(o) for o in c.outputs)]
    assert wrongly == [], "cells with explorers or cost tables must not ignore their outputs"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_stored_source_is_the_courses_own_html(path):
    """Shown `lib` source is highlighted by `lib.source`, never by a rendering library whose
    next release would change what nbval compares."""
    foreign = [c.source.splitlines()[0] for c in code_cells(read(path)) for o in c.outputs
               if 'class="highlight"' in o.get("data", {}).get("text/html", "")]
    assert foreign == [], "stored by an older lib: re-run the cells"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_live_only_widgets_say_how_to_get_them_live(path):
    """A widget output with no HTML version cannot respond in the book. Outside training cells
    (whose progress bars need no input) a markdown cell next to it carries {{ live_only }}."""
    cells = read(path).cells
    silent = []
    for i, cell in enumerate(cells):
        if cell.cell_type != "code" or ignores_output(cell):
            continue
        live_only = any(WIDGET_VIEW in o.get("data", {}) and "text/html" not in o.get("data", {})
                        for o in cell.outputs)
        neighbours = [c.source for c in cells[max(i - 1, 0):i + 2] if c.cell_type == "markdown"]
        if live_only and not any("{{ live_only }}" in s for s in neighbours):
            silent.append(cell.source.splitlines()[0])
    assert silent == []


def _citations(text):
    keys = []
    for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", text):
        keys += [k.strip() for k in group.split(",")]
    return keys


def _bib_entries():
    import pybtex.database
    return pybtex.database.parse_file(str(ROOT / "references.bib")).entries


def test_every_citation_is_in_the_bibliography():
    entries = _bib_entries()
    pages = sorted(CHAPTERS.glob("*.md")) + notebook_paths()
    cited = set()
    for page in pages:
        if page.suffix == ".md":
            cited.update(_citations(page.read_text()))
        else:
            for cell in read(page).cells:
                if cell.cell_type == "markdown":
                    cited.update(_citations(cell.source))
    assert cited, "nothing is cited"
    assert cited - set(entries) == set(), "cited keys missing from references.bib"


def test_every_paper_the_library_names_is_in_the_bibliography():
    """The arXiv ids in lib's docstrings (model files, data) all have an entry."""
    named = set()
    for path in (ROOT / "lib").rglob("*.py"):
        named.update(re.findall(r"arXiv:\s*(\d{4}\.\d{4,5})", path.read_text()))
    in_bib = {m for e in _bib_entries().values()
              for m in re.findall(r"\d{4}\.\d{4,5}", e.fields.get("journal", "") + e.fields.get("url", ""))}
    assert named, "no arXiv id found in lib"
    assert named - in_bib == set()


def test_bibliography_page_is_in_the_book():
    pages = [source_of(f) for f in toc_files()]
    assert any("{bibliography}" in p.read_text() for p in pages if p and p.suffix == ".md")


# --- Configuration ------------------------------------------------------------------------------

def test_notebooks_are_rendered_not_executed():
    assert CONFIG["execute"]["execute_notebooks"] == "off"


def test_repository_is_named_once():
    repo = CONFIG["repository"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repo["url"]), repo["url"]
    assert repo["branch"]
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert CONFIG["launch_buttons"]["binderhub_url"] == "https://mybinder.org"


def test_html_pages_prefer_the_static_widget():
    from myst_nb.core.render import get_mime_priority
    overrides = [tuple(o) for o in CONFIG["sphinx"]["config"]["nb_mime_priority_overrides"]]
    priority = get_mime_priority("html", overrides)
    assert priority.index("text/html") < priority.index(WIDGET_VIEW)
    assert priority.index("image/png") < priority.index("text/plain")


def test_pages_load_nothing_from_the_network():
    config = CONFIG["sphinx"]["config"]
    local = [config["mathjax_path"], *config["nb_ipywidgets_js"], *config["html_static_path"],
             *config.get("html_js_files", []), *config.get("html_css_files", [])]
    assert not [p for p in local if "://" in p]
    attributes = [v for attrs in config["nb_ipywidgets_js"].values() for v in attrs.values()]
    assert not [a for a in attributes if "://" in a]
    assert "sphinx_thebe" not in config["extensions"]
    # Jupyter Book adds every .js file of every static path to every page when _static exists.
    assert not (ROOT / "_static").exists()


def test_widget_manager_is_dropped_from_pages_without_widget_views():
    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        import widget_manager
    finally:
        sys.path.pop(0)
    from sphinx.builders.html._assets import _JavaScript

    class App:
        class config:
            nb_ipywidgets_js = CONFIG["sphinx"]["config"]["nb_ipywidgets_js"]

    def scripts():
        return [_JavaScript("_static/doctools.js"),
                _JavaScript(None, type=widget_manager.WIDGET_STATE, body="{}"),
                *(_JavaScript(f"_static/{p}") for p in App.config.nb_ipywidgets_js)]

    def kept(body):
        context = {"body": body, "script_files": scripts()}
        widget_manager.drop_unused_manager(App, "chapters/x", "page.html", context, doctree=object())
        return len(context["script_files"])

    everything = len(scripts())
    assert kept("<p>an explorer</p>") == 1
    assert kept(f"<script type='{WIDGET_VIEW}'>{{}}</script>") == everything


def test_build_script_fetches_what_the_pages_load():
    script = (ROOT / "scripts" / "build_book.sh").read_text()
    config = CONFIG["sphinx"]["config"]
    assert "mathjax@3" in script and "requirejs@" in script and "html-manager@" in script
    assert "_build/book_static" in config["html_static_path"]
    assert config["mathjax_path"].startswith("mathjax/")
    assert "jupyter-book build -W" in script


# --- Binder -----------------------------------------------------------------------------------

def _requirement_lines(path):
    lines = [l.split("#")[0].strip() for l in path.read_text().splitlines()]
    return [l for l in lines if l]


def _pins(path):
    return {canonicalize_name(r.name): str(r.specifier)
            for r in map(Requirement, (l for l in _requirement_lines(path) if not l.startswith("-")))}


def test_binder_installs_the_course_package():
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "binder/postBuild must be executable"
    commands = [l.strip() for l in post_build.read_text().splitlines()
                if l.strip() and not l.lstrip().startswith("#")]
    assert any(re.fullmatch(r"python -m pip install .*(-e )?\.", c) for c in commands), (
        "postBuild runs in the repository root and must install it (pip install -e .)")


def test_binder_uses_the_cpu_build_of_the_tested_torch():
    binder = ROOT / "binder" / "requirements.txt"
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in _requirement_lines(binder)
    tested, pinned = _pins(ROOT / "requirements.txt"), _pins(binder)
    for name in ("torch", "torchvision"):
        assert pinned[name] == tested[name], f"{name}: binder {pinned[name]}, tested {tested[name]}"
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime)


def _binder_distributions():
    """Distributions Binder ends up with: its requirements, the package's dependencies, what
    postBuild adds, Jupyter itself, and (by this machine's metadata) everything they require."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    import tomllib
    project = tomllib.loads(pyproject)["project"]
    todo = [Requirement(l).name for l in _requirement_lines(ROOT / "binder" / "requirements.txt")
            if not l.startswith("-")]
    todo += [Requirement(d).name for d in project["dependencies"]]
    todo += re.findall(r"--no-deps (\S+?)==", (ROOT / "binder" / "postBuild").read_text())
    todo += ["ipykernel", "jupyterlab"]  # repo2docker's environment
    seen = {canonicalize_name(project["name"])}
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        if name == "d2l":  # installed with --no-deps
            continue
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for r in map(Requirement, requires):
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r.name)
    return seen


def _imports(source):
    try:
        tree = ast.parse(source)
    except SyntaxError:  # cell magics
        tree = ast.parse("\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!"))))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_binder_provides_everything_the_chapters_import():
    modules = set()
    for path in notebook_paths():
        for cell in code_cells(read(path)):
            modules |= _imports(cell.source)
    if "d2l" in modules:
        import d2l
        modules |= _imports((Path(d2l.__file__).parent / "torch.py").read_text())
    modules -= set(sys.stdlib_module_names) | {"lib"}
    providers = metadata.packages_distributions()
    have = _binder_distributions()
    missing = {m: providers.get(m, ["?"]) for m in sorted(modules)
               if not any(canonicalize_name(d) in have for d in providers.get(m, []))}
    assert missing == {}, "imported by chapters (or by d2l) but not installed on Binder"
