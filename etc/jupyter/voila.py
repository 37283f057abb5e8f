# impulator's Voila settings that are code (the others are in voila.json): each of impulator's
# dashboards loads only the browser extensions it draws with (impulator.hub._page_config), the
# pages' templates are compiled once per server (impulator.hub._templates), and plotly's widget
# code and the NGL viewer are files the browser caches (impulator.hub._page_assets).
# Read by standalone Voila and by Voila on users' servers.
from impulator.hub import (
    serve_ngl_viewer,
    serve_plotly_widget,
    share_compiled_templates,
    trim_page_extensions,
)

share_compiled_templates()

c = get_config()  # noqa: F821
c.VoilaConfiguration.page_config_hook = trim_page_extensions
serve_plotly_widget(c)
serve_ngl_viewer(c)
