"""The repository layer of the users domain: every SQL statement, one module per concept."""
