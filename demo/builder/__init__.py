"""Builds the bundled demo sites from demo/content (a development tool: not part of the installed package)."""
