"""Clients for systems outside the commune: the National Population Database (or its embedded stand-in)."""
