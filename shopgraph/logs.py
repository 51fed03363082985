"""Log lines as JSON objects, with the request and trace they belong to, and secrets out.

Every record carries the request id (the gateway's, passed to subgraphs as
`x-request-id`) and, when tracing is on, the trace and span ids, so one id finds a
request's lines in every process. Before a line is written, anything shaped like a
secret is replaced: access and refresh tokens, Authorization values, passwords in
key=value or JSON form, API keys (Stripe, SendGrid, partner keys) and card numbers.
Scrubbing is a safety net; code should not log secrets in the first place.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from domains.kit.tracing import request_id_var
from gateway.middleware.request_id import current_request_id

REDACTED = "[REDACTED]"

_SECRET_PATTERNS = [
    # JSON Web Tokens (access tokens): three base64url segments, the first starting eyJ.
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    # Authorization header values.
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    # password / token / secret / api key given as key=value or "key": "value".
    re.compile(
        r"(?i)(\"?(?:password|passwd|new_?password|old_?password|refresh_?token|access_?token|"
        r"token|secret|api_?key|client_?secret)\"?\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,}&]+)"
    ),
    # Provider keys: Stripe (sk_/rk_/whsec_), SendGrid (SG.), our partner keys (sgp_).
    re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}|\bwhsec_[A-Za-z0-9]{8,}"),
    re.compile(r"\bSG\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    re.compile(r"\bsgp_[A-Za-z0-9_-]{16,}"),
    # Card numbers: 13 to 19 digits, optionally grouped by spaces or dashes.
    re.compile(r"\b(?:\d[ -]?){12,18}\d\b"),
]


def scrub(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: (m.group(1) if m.lastindex else "") + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        request_id = _request_id()
        if request_id:
            entry["request_id"] = request_id
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class ScrubbingFormatter(logging.Formatter):
    """The human-readable development format, scrubbed the same way."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def _request_id() -> str | None:
    # The gateway's own id, or, in a subgraph, the one the gateway sent (x-request-id).
    return current_request_id.get() or request_id_var.get()


LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


class UnknownLogLevel(ValueError):
    pass


def log_level(text: str | None) -> int:
    """LOG_LEVEL's level: debug, info (the default), warning, error or critical."""
    name = (text or "").strip().lower() or "info"
    if name not in LEVELS:
        raise UnknownLogLevel(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, not {text!r}")
    return LEVELS[name]


def uvicorn_log_level() -> str:
    """The level uvicorn's own loggers (its access log included) are set to: the root
    logger's, so LOG_LEVEL=warning also drops the access line written per request."""
    return logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()


def configure_logging(*, json_lines: bool, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
