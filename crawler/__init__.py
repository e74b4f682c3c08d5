"""Crawler: fetch pages politely, extract their text, and store them."""
