"""Whether the tracing fast path may run on the OpenTelemetry that is installed.

The fast path reads and writes private names of the OpenTelemetry SDK, exporter and
propagators (PRIVATE_HOOKS below) that change between releases without notice. pip keeps
the versions inside the ranges flaskops-flask declares, unless someone installs around it
(`--no-deps`, a constraints file, an image that upgrades the SDK later). So at
`instrument()` time `problems()` checks the installed versions against the tested ranges
(TESTED, the same as telemetry/pyproject.toml; a test keeps them equal), imports the
fast-path modules and probes every private name on throwaway objects, then runs the
recording span and the wire encoder once against the SDK's own span and encoder. Any
difference is a problem; one is enough for tracing.py to take the upstream path.

Each probe runs on its own objects; nothing here touches the app's provider or exports.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any, cast

from packaging.specifiers import SpecifierSet

# The ranges tests/telemetry/test_resolutions.py runs (lowest and newest), per distribution
# whose private names the fast path uses.
TESTED = {
    "opentelemetry-api": ">=1.45.1,<1.46",
    "opentelemetry-sdk": ">=1.45.1,<1.46",
    "opentelemetry-exporter-otlp-proto-http": ">=1.45.1,<1.46",
    "opentelemetry-exporter-otlp-common": ">=0.66b1,<0.67",
    "opentelemetry-exporter-http-transport": ">=0.66b1,<0.67",
    "opentelemetry-instrumentation": ">=0.66b1,<0.67",
    "opentelemetry-instrumentation-wsgi": ">=0.66b1,<0.67",
    "opentelemetry-semantic-conventions": ">=0.66b1,<0.67",
    "opentelemetry-util-http": ">=0.66b1,<0.67",
}

FAST_PATH_MODULES = (
    "flaskops_flask.recording_span",
    "flaskops_flask.root_sampling",
    "flaskops_flask.w3c",
    "flaskops_flask.server_spans",
    "flaskops_flask.client_spans",
    "flaskops_flask.otlp_wire",
    "flaskops_flask.otlp_transport",
)

_SDK = "opentelemetry.sdk.trace"
# Every private name the fast path relies on, as "module:Owner.name"; each is probed below.
PRIVATE_HOOKS = (
    f"{_SDK}:Tracer._instrumentation_scope",
    f"{_SDK}:Tracer._is_enabled",
    f"{_SDK}:TracerProvider._span_limits",
    f"{_SDK}:SynchronousMultiSpanProcessor._on_ending",
    f"{_SDK}:Span._add_event",
    f"{_SDK}:Span._add_link",
    "opentelemetry.attributes:BoundedAttributes._immutable",
    "opentelemetry.attributes:BoundedAttributes._dict",
    f"{_SDK}.sampling:ParentBased._root",
    f"{_SDK}.sampling:ParentBased._remote_parent_sampled",
    f"{_SDK}.sampling:ParentBased._remote_parent_not_sampled",
    f"{_SDK}.sampling:ParentBased._local_parent_not_sampled",
    f"{_SDK}.sampling:StaticSampler._decision",
    "opentelemetry.propagators.composite:CompositePropagator._propagators",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter:OTLPSpanExporter._client",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter:OTLPSpanExporter._shutdown",
    "opentelemetry.exporter.otlp.common.http:_OTLPHTTPClient.export",
    "opentelemetry.exporter.http.transport._urllib3:Urllib3HTTPTransport._pool",
)


def version_problems() -> list[str]:
    out = []
    for name, spec in TESTED.items():
        try:
            have = version(name)
        except PackageNotFoundError:
            out.append(f"{name} is not installed (tested: {spec})")
            continue
        if not SpecifierSet(spec).contains(have, prereleases=True):
            out.append(f"{name} {have} is outside the tested range {spec}")
    return out


def problems() -> list[str]:
    """Everything that keeps the fast path from running here; empty when it may."""
    found = version_problems()
    for module in FAST_PATH_MODULES:
        try:
            import_module(module)
        except Exception as exc:
            found.append(f"{module} cannot be imported ({type(exc).__name__}: {exc})")
    if found:
        return found
    for what, probe in _PROBES:
        try:
            problem = probe()
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            found.append(f"{what}: {problem}")
    return found


# ---- the probes: each returns None when the SDK is as the fast path expects ----


def _hook(spec: str, owner: object) -> Any:
    """Read one PRIVATE_HOOKS name from `owner` (a class or one of its instances)."""
    return getattr(owner, spec.rpartition(".")[2])


def _probe_hooks() -> str | None:
    from opentelemetry.attributes import BoundedAttributes
    from opentelemetry.exporter.http.transport._urllib3 import Urllib3HTTPTransport
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.propagators.composite import CompositePropagator
    from opentelemetry.sdk.trace import Span, TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased

    provider = TracerProvider(shutdown_on_exit=False)
    tracer = provider.get_tracer("flaskops_flask.guard")
    transport = Urllib3HTTPTransport()
    accepts = inspect.signature(OTLPSpanExporter.__init__).parameters
    if "_transport" not in accepts:
        return "OTLPSpanExporter() takes no _transport"
    exporter = OTLPSpanExporter(endpoint="http://127.0.0.1:4318/v1/traces", _transport=transport)
    try:
        owners: dict[str, object] = {
            "Tracer": tracer,
            "TracerProvider": provider,
            "SynchronousMultiSpanProcessor": provider._active_span_processor,
            "Span": Span,
            "BoundedAttributes": BoundedAttributes(2, {"a": 1}, immutable=False),
            "ParentBased": ParentBased(ALWAYS_ON),
            "StaticSampler": ALWAYS_ON,
            "CompositePropagator": CompositePropagator([]),
            "OTLPSpanExporter": exporter,
            # None when _client itself is missing: both names are then reported.
            "_OTLPHTTPClient": getattr(exporter, "_client", None),
            "Urllib3HTTPTransport": transport,
        }
        missing = []
        for spec in PRIVATE_HOOKS:
            owner = spec.partition(":")[2].partition(".")[0]
            try:
                _hook(spec, owners[owner])
            except AttributeError:
                missing.append(spec.replace(":", "."))
        if missing:
            return "missing " + ", ".join(missing)
        if not callable(exporter._client.export):
            return "OTLPSpanExporter._client.export is not callable"
        if not hasattr(transport._pool, "connection_pool_kw"):
            return "Urllib3HTTPTransport._pool has no connection_pool_kw"
        return None
    finally:
        exporter.shutdown()  # type: ignore[no-untyped-call]


def _probe_span_fields() -> str | None:
    """RecordingSpan sets the SDK span's fields itself (no super().__init__): it must set
    exactly the fields the SDK's own __init__ sets, or SDK methods meet a missing one."""
    from opentelemetry.sdk.trace import SpanLimits, Tracer, TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON
    from opentelemetry.trace import INVALID_SPAN_CONTEXT, SpanKind

    from flaskops_flask.recording_span import RecordingSpan

    provider = TracerProvider(sampler=ALWAYS_ON, shutdown_on_exit=False)
    tracer = cast(Tracer, provider.get_tracer("flaskops_flask.guard"))
    sdk = tracer.start_span("probe", kind=SpanKind.SERVER)
    ours = RecordingSpan(tracer, SpanLimits(), "probe", INVALID_SPAN_CONTEXT, None, {})
    theirs, mine = set(vars(sdk)), set(vars(ours))
    if theirs == mine:
        return None
    parts = []
    if theirs - mine:
        parts.append("the SDK's Span also sets " + ", ".join(sorted(theirs - mine)))
    if mine - theirs:
        parts.append("the SDK's Span no longer sets " + ", ".join(sorted(mine - theirs)))
    return "; ".join(parts)


def _probe_round_trip() -> str | None:
    """A RecordingSpan through start, attributes, an event, a link and end, to a processor,
    then through the wire encoder: the same message the upstream encoder writes for it."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.sdk.trace import (
        ReadableSpan,
        SpanLimits,
        SpanProcessor,
        Tracer,
        TracerProvider,
    )
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON
    from opentelemetry.trace import Link, SpanContext

    from flaskops_flask.otlp_wire import encode_request
    from flaskops_flask.recording_span import SAMPLED_ROOT_FLAGS, RecordingSpan

    ended: list[ReadableSpan] = []

    class Keep(SpanProcessor):
        def on_end(self, span: ReadableSpan) -> None:
            ended.append(span)

    provider = TracerProvider(sampler=ALWAYS_ON, shutdown_on_exit=False)
    provider.add_span_processor(Keep())
    tracer = cast(Tracer, provider.get_tracer("flaskops_flask.guard", "0"))
    context = SpanContext(0x1F, 0x2F, False, SAMPLED_ROOT_FLAGS)
    span = RecordingSpan(tracer, SpanLimits(), "GET", context, None, {"url.path": "/"})
    span.start()
    span.describe("GET /x", {"http.route": "/x", "http.response.status_code": 200}, False)
    span.set_attribute("app.attribute", "kept")
    span.add_event("probe", {"n": 1})
    span.add_link(SpanContext(0x3F, 0x4F, True))
    span.end()
    if ended != [span]:
        return f"the span processor received {ended!r}, not the ended span"
    if (span.attributes or {}).get("app.attribute") != "kept" or len(span.events) != 1:
        return "attributes or events set on the span were not kept"
    if len(span.links) != 1 or not isinstance(span.links[0], Link):
        return "a link added to the span was not kept"
    ours = ExportTraceServiceRequest.FromString(encode_request(ended))
    if ours != encode_spans(ended):
        return "the wire encoder's message differs from the upstream encoder's"
    return None


_PROBES: tuple[tuple[str, Callable[[], str | None]], ...] = (
    ("private names", _probe_hooks),
    ("opentelemetry.sdk.trace.Span fields", _probe_span_fields),
    ("recording span and wire encoder self-test", _probe_round_trip),
)
