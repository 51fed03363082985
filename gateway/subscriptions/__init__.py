"""Subscriptions through the gateway: planned and run per event (runner), fed by the
owning subgraph (sources), held per connection with their limits (hub), and served over
graphql-ws (graphql_ws) and Server-Sent Events (sse)."""
