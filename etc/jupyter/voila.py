# impulator's Voila settings that are code (the others are in voila.json): each of impulator's
# dashboards loads only the browser extensions it draws with (impulator.hub._page_config), the
# pages' templates are compiled once per server (impulator.hub._templates), and plotly's widget
# code and the NGL viewer are files the browser caches (impulator.hub._page_assets); each page
# gets the cookie Voila's "tab closed: shut the kernel down" message needs.
# Read by standalone Voila and by Voila on users' servers.
from impulator.hub import (
    serve_ngl_viewer,
    serve_plotly_widget,
    set_page_xsrf_cookie,
    share_compiled_templates,
    trim_page_extensions,
)

share_compiled_templates()

c = get_config()  # noqa: F821
c.VoilaConfiguration.page_config_hook = trim_page_extensions
c.VoilaConfiguration.prelaunch_hook = set_page_xsrf_cookie
serve_plotly_widget(c)
serve_ngl_viewer(c)
