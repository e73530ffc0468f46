"""Load the Jupyter widgets HTML manager only on pages that show a widget view.

myst-nb adds the manager (RequireJS and embed-amd.js, 3.5 MB) and the saved widget state to
every page whose notebook stored widget state. The book renders explorers from their static
HTML, so most such pages have no view for the manager to draw: there the scripts are dropped.
"""
import posixpath

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def manager_scripts(config) -> set[str]:
    return {posixpath.join("_static", path) for path in config.nb_ipywidgets_js}


def drop_unused_manager(app, pagename, templatename, context, doctree):
    if doctree is None or WIDGET_VIEW in context.get("body", ""):
        return
    unused = manager_scripts(app.config)
    context["script_files"] = [
        js for js in context.get("script_files", [])
        if getattr(js, "filename", js) not in unused
        and getattr(js, "attributes", {}).get("type") != WIDGET_STATE]


def setup(app):
    # After myst-nb has added the page's scripts (default priority 500).
    app.connect("html-page-context", drop_unused_manager, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
