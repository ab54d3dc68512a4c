"""MkDocs hook: tell the pages where the registry lives.

With ``extra: {qt_registry: "https://registry.example/api/v1"}`` in ``mkdocs.yml`` every page
gets ``<meta name="qt-registry" content="...">`` in its ``<head>``; ``site/js/registry.js``
reads it. Without it the pages use ``/api/v1`` on their own origin (the registry serving the
site: ``python -m registry_api serve --site-dir public``). A registry on another origin must
allow the site's origin (CORS) and is the one other host the pages then contact.
"""

from __future__ import annotations

import html
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

__all__ = ["on_config", "on_post_page"]


def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    """Validate ``extra.qt_registry`` (a string URL or path) early."""
    value = (config.extra or {}).get("qt_registry")
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise PluginError(f"extra.qt_registry must be a non-empty URL or path, got {value!r}")
    return config


def on_post_page(output: str, page: Page, config: MkDocsConfig, **_: Any) -> str:
    """Insert the registry meta tag when ``extra.qt_registry`` is set."""
    value = (config.extra or {}).get("qt_registry")
    if not value:
        return output
    tag = f'<meta name="qt-registry" content="{html.escape(value.strip(), quote=True)}">'
    return output.replace("</head>", f"  {tag}\n</head>", 1)
