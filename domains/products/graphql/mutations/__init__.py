"""The products subgraph's mutations, one per module."""
