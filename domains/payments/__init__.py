"""The payments domain: payment intents per order, provider webhooks and refunds."""
