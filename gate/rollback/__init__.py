"""Rollback criteria: compiled to Prometheus rules (`compile`) and watched live over HTTP (`watch`)."""
