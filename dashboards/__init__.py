"""Grafana dashboards as code (grafana-foundation-sdk); `make dashboards` writes the JSON."""
