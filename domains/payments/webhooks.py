"""POST /webhooks/stripe: Stripe's events, verified with STRIPE_WEBHOOK_SECRET.

The signature is checked by Stripe's own library (`Stripe-Signature: t=...,v1=...`, an
HMAC-SHA256 of `t.payload`, five minutes' tolerance) before anything is read; a bad or
stale one is a 400 and touches nothing. A verified event is recorded by its id in the
same transaction as its effect, so a redelivery is answered 200 and applied once.
"""

from __future__ import annotations

import json
import logging

import stripe
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domains.kit.app import Runtime
from domains.kit.db import transaction
from domains.kit.events import run_commit_hooks
from domains.payments.config import PaymentsConfig
from domains.payments.providers import PaymentProvider, provider_for
from domains.payments.services.webhooks import webhooks

logger = logging.getLogger("shopgraph.payments")

WEBHOOK_PATH = "/webhooks/stripe"


def stripe_webhook_route(runtime: Runtime) -> Route:
    # Read at start-up: APP_ENV=production without STRIPE_API_KEY stops the app here.
    config = PaymentsConfig.from_settings(runtime.settings)
    provider: PaymentProvider = provider_for(config)

    async def receive(request: Request) -> Response:
        secret = config.stripe_webhook_secret
        if secret is None:
            return JSONResponse(
                {"error": "STRIPE_WEBHOOK_SECRET is not set: webhooks cannot be verified"},
                status_code=503,
            )
        payload = await request.body()
        try:
            stripe.Webhook.construct_event(
                payload, request.headers.get("stripe-signature", ""), secret
            )
        except stripe.SignatureVerificationError:
            return JSONResponse({"error": "invalid signature"}, status_code=400)
        except ValueError:
            return JSONResponse({"error": "invalid payload"}, status_code=400)
        event = json.loads(payload)
        if not isinstance(event, dict) or "id" not in event:
            return JSONResponse({"error": "not an event"}, status_code=400)
        resources = runtime.get()
        async with transaction(resources.session_factory) as session:
            status = await webhooks.handle_stripe_event(session, provider, event)
        await run_commit_hooks(session)
        outcome = "duplicate" if status is None else status.value.lower()
        logger.info("stripe event %s %s: %s", event["id"], event.get("type"), outcome)
        return JSONResponse({"received": True, "outcome": outcome})

    return Route(WEBHOOK_PATH, receive, methods=["POST"])
