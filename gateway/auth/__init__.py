"""Access tokens at the edge: verified once here, before any planning or subgraph call."""
