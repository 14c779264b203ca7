"""OpenTelemetry: one trace from the HTTP request through the event store, Kafka and every
consumer that reacts. The W3C ``traceparent`` rides in event metadata and Kafka headers."""

from __future__ import annotations

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

_configured = False


def setup_telemetry(service: str, otlp_endpoint: str | None) -> None:
    """Install a tracer provider for this process; export over OTLP/HTTP when configured."""
    global _configured
    if _configured:
        return
    # Resource(...) rather than Resource.create(): the latter merges OTEL_* variables in,
    # and Settings are the one door for configuration.
    resource = Resource({"service.name": f"oms-{service}"})
    if not otlp_endpoint:
        # Nothing would export the spans, so none is recorded: building their attributes
        # was a tenth of a consumer's CPU. Trace and span ids are still made and carried
        # (event metadata, Kafka headers), so a change can be followed across services.
        trace.set_tracer_provider(TracerProvider(resource=resource, sampler=ALWAYS_OFF))
        _configured = True
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=resource, sampler=ParentBased(ALWAYS_ON))
    endpoint = otlp_endpoint.rstrip("/")
    if not endpoint.endswith("/v1/traces"):
        endpoint += "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    _configured = True


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def context_from(traceparent: str | None) -> Context | None:
    """The remote parent context carried by a ``traceparent`` value, if any."""
    if not traceparent:
        return None
    return propagate.extract({"traceparent": traceparent})


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def kafka_headers_traceparent(headers: list[tuple[str, bytes]] | None) -> str | None:
    for key, value in headers or []:
        if key == "traceparent":
            return value.decode("ascii", "replace")
    return None
