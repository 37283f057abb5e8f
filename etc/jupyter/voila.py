# impulator's Voila settings that are code (the others are in voila.json): each of impulator's
# dashboards loads only the browser extensions it draws with (impulator.hub._page_config), the
# pages' templates are compiled once per server (impulator.hub._templates), and plotly's widget
# code and the NGL viewer are files the browser caches (impulator.hub._page_assets); each page
# gets the cookie Voila's "tab closed: shut the kernel down" message needs, and browsers keep the
# extensions' files (named by their content) without asking again.
# Read by standalone Voila and by Voila on users' servers.
from impulator.hub import (
    cache_extension_files,
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
# Standalone Voila's own Tornado settings (a user's server: impulator's server extension).
tornado_settings = dict(c.Voila.get("tornado_settings", {}))
cache_extension_files(tornado_settings)
c.Voila.tornado_settings = tornado_settings
