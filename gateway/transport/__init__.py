"""How the gateway reaches its subgraphs: in this process, or over HTTP.

`types.py` is what every transport offers the executor (a GraphQL response as a dict);
`in_process.py` executes a subgraph living in this process; `http.py` sends over HTTP,
through the gateway's own keep-alive client (`keepalive.py`) for plain http:// and
httpx for the rest.
"""
