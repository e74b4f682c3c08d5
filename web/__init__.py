"""The Swedish web UI, JSON API and feeds over the published search index (Starlette)."""
