"""Partner API keys: who may call the gateway with a key, and which manifest binds them.

Keys are stored as SHA-256 hashes in the gateway's own Postgres schema (`gateway`), so a
database leak reveals no usable key; the key itself is shown once, when it is created.
"""
