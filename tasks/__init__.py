"""Thin Prefect task wrappers over the slipway library (retries, caching, logging, artifacts)."""
