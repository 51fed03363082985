"""The HTTP client the stripe library is given, shared by every domain that calls Stripe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe


class StripeHTTPXClient(stripe.HTTPXClient):
    """Stripe's httpx client, handing the encoded form to httpx as `content`: passing raw
    bytes as `data` is deprecated in httpx 0.28 and warns on every request."""

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> list[Any]:
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        body = kwargs.pop("data", None)
        if body:
            kwargs["content"] = body
        return [args, kwargs]
