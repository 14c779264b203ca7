"""OpenTelemetry: one trace from the HTTP request through the event store, Kafka and every
consumer that reacts. The W3C ``traceparent`` rides in event metadata and Kafka headers."""

from __future__ import annotations

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_configured = False


def setup_telemetry(service: str, otlp_endpoint: str | None) -> None:
    """Install a tracer provider for this process; export over OTLP/HTTP when configured."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"oms-{service}"}))
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

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
