"""Export the contracts as JSON Schema (one file per event) and an AsyncAPI 3 document.

``python -m oms_contracts.export [DIR]`` rewrites the checked-in files; a test fails when
they drift from the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from oms_contracts.base import ContractEvent, registry
from oms_contracts.envelope import Envelope
from oms_contracts.topics import dlq_topic, events_topic

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def message_schema(model: type[ContractEvent]) -> dict[str, Any]:
    """JSON Schema of a whole Kafka message value: the envelope with this event's payload."""
    schema = Envelope[model].model_json_schema(mode="serialization")  # type: ignore[valid-type]
    schema["title"] = f"{model.event_type} v{model.event_version}"
    schema["$schema"] = SCHEMA_DIALECT
    schema["$id"] = f"urn:oms:event:{model.source}:{model.event_type}:v{model.event_version}"
    props = schema["properties"]
    props["event_type"] = {"const": model.event_type, "type": "string"}
    props["event_version"] = {"const": model.event_version, "type": "integer"}
    props["source"] = {"const": model.source, "type": "string"}
    if model.__doc__ and not model.__doc__.startswith(("Usage docs", "A base class")):
        schema["description"] = " ".join(model.__doc__.split())
    return schema


def schema_filename(model: type[ContractEvent]) -> str:
    return f"{model.source}/{model.event_type}.v{model.event_version}.json"


def asyncapi_document() -> dict[str, Any]:
    """An AsyncAPI 3.0 document: one channel per service topic, one message per event."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    services = registry.sources()
    messages_by_service: dict[str, dict[str, Any]] = {s: {} for s in services}
    for model in registry.all():
        name = f"{model.event_type}V{model.event_version}"
        messages_by_service[model.source][name] = {
            "name": model.event_type,
            "title": f"{model.event_type} v{model.event_version}",
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {
                    "traceparent": {"type": "string", "description": "W3C trace context"}
                },
            },
            "bindings": {"kafka": {"key": {"type": "string", "description": "aggregate id"}}},
            "payload": {"$ref": f"./{schema_filename(model)}"},
        }
    for service in services:
        channel = service.replace("-", "_")
        channels[channel] = {
            "address": events_topic(service),
            "description": f"Public events of the {service} service, keyed by aggregate id.",
            "messages": messages_by_service[service],
        }
        channels[f"{channel}_dlq"] = {
            "address": dlq_topic(service),
            "description": f"Messages the {service} service could not parse or apply, "
            "with the error in the 'oms-error' header.",
        }
        operations[f"publish_{channel}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [
                {"$ref": f"#/channels/{channel}/messages/{m}"} for m in messages_by_service[service]
            ],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "OMS domain events",
            "version": "1.0.0",
            "description": "Events published by the OMS services. Add optional fields only; "
            "a breaking change is a new event_version.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "dev": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "the one-machine dev stack (oms up)",
            },
        },
        "channels": channels,
        "operations": operations,
    }


def rendered_files() -> dict[str, str]:
    """Every exported file, path relative to the schemas folder -> text."""
    files = {schema_filename(m): _dump(message_schema(m)) for m in registry.all()}
    files["asyncapi.json"] = _dump(asyncapi_document())
    return files


def default_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "schemas"


def write(directory: Path) -> list[Path]:
    written = []
    for rel, text in rendered_files().items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else default_dir()
    for path in write(target):
        print(path)
