"""The living site: local HTTP sites that change between nightly `kb -q update` runs, with the truth kept by the test."""
