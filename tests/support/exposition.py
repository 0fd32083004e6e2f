"""Checks on the text /metrics serves."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def assert_totals_are_the_histograms_counts(text: str) -> None:
    """flask_http_request_total is served from the duration histogram's count
    (flaskops_flask.metrics.RequestTotals): one counter family, the same series."""
    families = {f.name: f for f in text_string_to_metric_families(text)}
    totals = families["flask_http_request"]
    assert totals.type == "counter"
    assert text.count("# TYPE flask_http_request_total counter") == 1
    counts = {
        tuple(sorted(s.labels.items())): s.value
        for s in families["flask_http_request_duration_seconds"].samples
        if s.name.endswith("_count")
    }
    served = {tuple(sorted(s.labels.items())): s.value for s in totals.samples}
    assert served == counts
    assert sum(served.values()) >= 1
