"""The orders subgraph's mutations, one per module."""
