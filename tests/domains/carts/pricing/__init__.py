"""Tests of the pricing engine and the tax providers."""
