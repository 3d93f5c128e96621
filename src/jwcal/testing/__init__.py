"""Helpers for comparing jwcal with the official JWST pipeline (tests and benchmarks).

Nothing here imports jwst at import time; jwst is needed only by the functions that run it.
"""
