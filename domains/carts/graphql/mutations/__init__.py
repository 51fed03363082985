"""The carts subgraph's mutations, one per module."""
