"""GraphiQL for developers, served entirely by the gateway: no CDN, no Node at run time.

The page loads React, ReactDOM and GraphiQL from `static/` (copied from npm by
`tools/graphiql/build.mjs`, committed gzip-compressed: about 740 KB for all four) and
`init.js`, which renders GraphiQL with the example operations as tabs and the headers
editor open, so a developer can paste `Authorization: Bearer ...`. A Content-Security-
Policy allowing only this origin keeps the page honest about that.

Examples are `*.graphql` files (schema/operations/examples/); comment lines
`# variables: {...}` and `# headers: {...}` fill the tab's editors. Each is validated
against the gateway's schema at start-up; one that does not validate (a subgraph it
needs is not composed in) is still shown, headed by a comment saying why.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse, validate
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

STATIC_DIR = Path(__file__).with_name("static")
INIT_SCRIPT = Path(__file__).with_name("init.js")
ASSET_PATH = "/graphiql"

_CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_EDITOR_COMMENT = re.compile(r"^#\s*(variables|headers):\s*(.+)$", re.MULTILINE)
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
DEFAULT_HEADERS = '{\n  "Authorization": ""\n}'


@dataclass(frozen=True)
class Example:
    name: str
    query: str
    variables: str | None = None
    headers: str | None = None

    def tab(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "variables": self.variables,
            "headers": self.headers or DEFAULT_HEADERS,
        }


def load_examples(directory: Path | None, schema: GraphQLSchema) -> list[Example]:
    if directory is None or not directory.is_dir():
        return []
    examples = []
    for path in sorted(directory.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        editors = {kind: value.strip() for kind, value in _EDITOR_COMMENT.findall(text)}
        problem = _problem(text, schema)
        if problem:
            text = f"# Not available in this supergraph yet: {problem}\n{text}"
        examples.append(
            Example(
                path.stem, text, _pretty(editors.get("variables")), _pretty(editors.get("headers"))
            )
        )
    return examples


def _problem(text: str, schema: GraphQLSchema) -> str | None:
    try:
        errors = validate(schema, parse(text))
    except GraphQLError as error:
        return error.message
    return errors[0].message if errors else None


def _pretty(raw: str | None) -> str | None:
    return json.dumps(json.loads(raw), indent=2) if raw else None


class _Asset:
    def __init__(self, path: Path) -> None:
        self.name = path.name.removesuffix(".gz")
        self.content_type = _CONTENT_TYPES[Path(self.name).suffix]
        self.compressed = path.read_bytes() if path.suffix == ".gz" else None
        self._plain = None if self.compressed is not None else path.read_bytes()

    @property
    def plain(self) -> bytes:
        if self._plain is None:
            assert self.compressed is not None
            self._plain = gzip.decompress(self.compressed)
        return self._plain

    def response(self, request: Request) -> Response:
        headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
        if self.compressed is not None and "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(self.compressed, media_type=self.content_type, headers=headers)
        return Response(self.plain, media_type=self.content_type, headers=headers)


class GraphiQL:
    def __init__(self, examples: Sequence[Example]) -> None:
        self.examples = list(examples)
        self._assets = {
            asset.name: asset
            for asset in (
                *(_Asset(path) for path in sorted(STATIC_DIR.glob("*.gz"))),
                _Asset(INIT_SCRIPT),
            )
        }

    def routes(self) -> list[BaseRoute]:
        return [Route(ASSET_PATH + "/{name}", self._asset, methods=["GET"])]

    async def _asset(self, request: Request) -> Response:
        asset = self._assets.get(request.path_params["name"])
        if asset is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        return asset.response(request)

    def page(self) -> HTMLResponse:
        config = {"tabs": [example.tab() for example in self.examples]}
        # JSON inside <script> must not be able to close the element.
        config_json = json.dumps(config).replace("</", "<\\/")
        body = _PAGE.format(
            path=html.escape(ASSET_PATH),
            config=config_json,
        )
        return HTMLResponse(
            body,
            headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-cache"},
        )


def wants_html(request: Request) -> bool:
    """A browser navigating to /graphql, not a GraphQL client."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and not any(
        name in request.query_params for name in ("query", "documentId", "extensions")
    )


_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Shopgraph GraphiQL</title>
  <link rel="stylesheet" href="{path}/graphiql.css">
  <style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL...</div>
  <script type="application/json" id="graphiql-config">{config}</script>
  <script src="{path}/react.js"></script>
  <script src="{path}/react-dom.js"></script>
  <script src="{path}/graphiql.js"></script>
  <script src="{path}/init.js"></script>
</body>
</html>
"""
