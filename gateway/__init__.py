"""The federated gateway: one GraphQL API over the subgraphs, knowing them only through
configuration (gateway/app.py), with the request path in gateway/endpoint.py (HTTP) and
gateway/pipeline.py (the request's steps, in order)."""
