"""The payments subgraph's mutations, one per module."""
