"""Pricing of a checkout: the money engine, vouchers, shipping and the tax seam."""
