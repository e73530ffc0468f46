// The widget manager finds its fonts beside its own AMD module: point that module at this
// folder, so they load from the book's _static rather than from a path under the page.
require.config({
  paths: {
    "@jupyter-widgets/html-manager/dist": document.currentScript.src.replace(/\/[^\/]*$/, ""),
  },
});
