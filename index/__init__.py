"""The Whoosh search index: Swedish analysis, schema, building and atomic publishing."""
