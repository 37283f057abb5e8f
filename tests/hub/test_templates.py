"""Voila pages' templates compiled once per server (``impulator.hub.share_compiled_templates``),
with nbconvert's own exporter: the second page reuses the compiled code and renders the same,
an edited template is compiled again."""

from __future__ import annotations

import nbformat
from jinja2 import DictLoader, Environment
from nbconvert import HTMLExporter

from impulator import hub
from impulator.hub._templates import PAGE_TEMPLATES, MemoryBytecodeCache


def notebook() -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A page")])


def test_exporters_share_compiled_templates() -> None:
    hub.share_compiled_templates()
    hub.share_compiled_templates()  # idempotent
    first, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook())
    cached = len(PAGE_TEMPLATES)
    assert cached >= 2  # the lab template and the templates it extends
    second_exporter = HTMLExporter(template_name="lab")  # a new page: a new environment
    second, _ = second_exporter.from_notebook_node(notebook())
    assert second_exporter.environment.bytecode_cache is PAGE_TEMPLATES
    assert len(PAGE_TEMPLATES) == cached and "A page" in second
    # Identical but for the ids nbconvert draws at random for each page.
    assert len(first) == len(second)


def test_an_edited_template_is_compiled_again() -> None:
    cache = MemoryBytecodeCache()
    sources = {"page.html": "one {{ x }}"}
    assert (
        Environment(loader=DictLoader(sources), bytecode_cache=cache)
        .get_template("page.html")
        .render(x=1)
        == "one 1"
    )
    sources["page.html"] = "two {{ x }}"
    assert (
        Environment(loader=DictLoader(sources), bytecode_cache=cache)
        .get_template("page.html")
        .render(x=2)
        == "two 2"
    )
    assert len(cache) == 1  # the same template, its code replaced
