"""Serving under a path: the public base URL's path (``/kb``) put in front of every root-relative URL of an HTML page.

Behind a reverse proxy that serves kb at ``https://intranet.example.se/kb/`` (and strips ``/kb`` before passing a
request on), the app's routes stay ``/sok``, ``/static/…``, but every URL a browser follows must carry ``/kb``.
Templates and views write root-relative URLs (``href="/sok?…"``); the renderer rewrites the attributes a browser
or kb.js follows (href, src, action, data-suggest) in the finished page, so no template or view needs to know the
path. Only attribute values beginning with exactly one ``/`` change: absolute URLs (``https://…``), protocol-relative
ones (``//…``) and text are left alone, and autoescaping guarantees a user's text never forms an attribute. Feeds,
OpenSearch and the OpenAPI ``servers`` entry are built from the absolute base URL, which carries the path already.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.responses import Response

ROOT_RELATIVE = re.compile(r'(\s(?:href|src|action|data-suggest)=")/(?!/)')


def root_path(base_url: str) -> str:
    """The path of the public base URL without its trailing slash: "" for a host of its own, "/kb" under a path."""
    return urlsplit(base_url).path.rstrip("/")


def prefix_root_relative(html: str, root: str) -> str:
    """``html`` with ``root`` in front of every root-relative href, src, action and data-suggest value."""
    if not root:
        return html
    return ROOT_RELATIVE.sub(lambda m: f"{m.group(1)}{root}/", html)


def apply(response: Response, root: str, headers: dict[str, str] | None) -> Response:
    """Rewrite a rendered HTML response in place for ``root`` (Content-Length recomputed); other types untouched."""
    if root and response.media_type == "text/html" and isinstance(response.body, bytes):
        response.body = prefix_root_relative(response.body.decode("utf-8"), root).encode("utf-8")
        response.init_headers(headers)
    return response
