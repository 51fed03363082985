"""The orders domain: orders and their status machine, the checkout saga's middle."""
