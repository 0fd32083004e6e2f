"""`flaskops-operator`: run the operator in the foreground against the current kubeconfig
(or in-cluster credentials)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

import kopf
from prometheus_client import start_http_server

from flaskops.watch import shard_selector


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="flaskops-operator", description=__doc__)
    p.add_argument(
        "--namespace", "-n", action="append", default=[],
        help="watch only this namespace (repeatable; default: all namespaces)",
    )  # fmt: skip
    p.add_argument(
        "--metrics-port", type=int, default=int(os.environ.get("FLASKOPS_METRICS_PORT", "8080"))
    )
    p.add_argument(
        "--metrics-address", default=os.environ.get("FLASKOPS_METRICS_ADDRESS", "0.0.0.0")
    )
    p.add_argument(
        "--health-port", type=int, default=int(os.environ.get("FLASKOPS_HEALTH_PORT", "8081"))
    )
    p.add_argument(
        "--peering", action="store_true", default=os.environ.get("FLASKOPS_PEERING") == "1",
        help="coordinate several replicas through kopf peering (needs the peering CRDs)",
    )  # fmt: skip
    p.add_argument(
        "--shard", action="append", default=os.environ.get("FLASKOPS_SHARD", "").split(","),
        help="own only FlaskServices labelled flaskops.io/shard=SHARD (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--shard-unlabelled", action="store_true",
        default=os.environ.get("FLASKOPS_SHARD_UNLABELLED") == "1",
        help="own only FlaskServices without the flaskops.io/shard label",
    )  # fmt: skip
    p.add_argument("--priority", type=int, default=int(os.environ.get("FLASKOPS_PRIORITY", "0")))
    p.add_argument("--log-format", choices=["json", "plain"], default="json")
    p.add_argument("--verbose", "-v", action="store_true")
    return p.parse_args(argv)


def setup_tracing() -> None:
    """Export reconcile spans over OTLP/HTTP when an endpoint is configured; otherwise the
    API's no-op tracer costs nothing."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create(
        {"service.name": os.environ.get("OTEL_SERVICE_NAME", "flaskops-operator")}
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        selector = shard_selector(args.shard, args.shard_unlabelled)
    except ValueError as e:
        print(f"flaskops-operator: {e}", file=sys.stderr)
        return 2
    # Read by flaskops.handlers at import (kopf settings are configured at startup).
    os.environ["FLASKOPS_SHARD_SELECTOR"] = selector or ""
    kopf.configure(
        verbose=args.verbose,
        log_format=kopf.LogFormat.JSON if args.log_format == "json" else kopf.LogFormat.PLAIN,
    )
    logging.getLogger("flaskops").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    if not args.verbose:
        # kopf logs every handled watch event at INFO: thousands of lines a minute at scale.
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    setup_tracing()
    if args.metrics_port:
        start_http_server(args.metrics_port, addr=args.metrics_address)
    import flaskops.handlers  # noqa: F401  (registers the handlers with kopf)

    kopf.run(
        standalone=not args.peering,
        priority=args.priority,
        # Naming a peering makes kopf insist on its CRD, so name it only when asked for.
        peering_name="flaskops" if args.peering else None,
        clusterwide=not args.namespace,
        namespaces=args.namespace,
        liveness_endpoint=f"http://0.0.0.0:{args.health_port}/healthz"
        if args.health_port
        else None,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
