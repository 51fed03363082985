"""The payments domain's service layer: business rules that take the session first and
never commit, one module per concept (intents, refunds, webhooks; rules and updates are
what they share).

A payment follows its PaymentIntent:

    REQUIRES_ACTION -> PROCESSING -> SUCCEEDED -> PARTIALLY_REFUNDED -> REFUNDED
    REQUIRES_ACTION | PROCESSING | FAILED -> FAILED (declined; the shopper may retry)
    REQUIRES_ACTION | PROCESSING | FAILED -> CANCELLED
    PARTIALLY_REFUNDED | REFUNDED -> SUCCEEDED | PARTIALLY_REFUNDED (a refund failed later)

What moves it is the provider's word (a verified webhook, a re-read during
reconciliation, or the local provider's simulation), never a client's claim. Anything
that arrives late or twice finds the payment past that point and changes nothing.
"""
