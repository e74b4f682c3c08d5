"""kb: a searchable knowledge base on men's violence against women (domain core)."""

__version__ = "0.1.0"
