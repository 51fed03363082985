"""Federation: composing subgraph SDLs into a supergraph, reading it, checking client
documents against its API schema, planning operations into subgraph fetches, and
executing the plans."""
