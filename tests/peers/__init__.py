"""Fixtures that start real peers on loopback (one module per peer)."""
