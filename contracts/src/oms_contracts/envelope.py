"""The envelope every public event travels in, and the one way to read a message."""

from __future__ import annotations

import json
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from oms_contracts.base import ContractEvent, registry

P = TypeVar("P")


class Envelope(BaseModel, Generic[P]):
    """Metadata around one public event. ``source_position`` is the event's position in the
    source service's event store; (source, source_position) identifies it for exactly-once
    consumers, and ``event_id`` is stable across republishing."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    event_type: str = Field(min_length=1)
    event_version: int = Field(ge=1)
    occurred_at: AwareDatetime
    source: str = Field(min_length=1)
    source_position: int = Field(ge=1)
    aggregate_id: str = Field(min_length=1)
    aggregate_version: int = Field(ge=1)
    correlation_id: str | None = None
    causation_id: str | None = None
    payload: P


class InvalidMessage(ValueError):
    """The message is not a valid envelope, or its payload does not match its event model."""


class UnknownEvent(InvalidMessage):
    """The envelope names an event type and version that no contract defines."""


def parse_message(raw: bytes | str) -> tuple[Envelope[dict[str, Any]], ContractEvent]:
    """Validate a Kafka message value: the envelope, then the payload against its model."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidMessage(f"not JSON: {exc}") from exc
    try:
        envelope = Envelope[dict[str, Any]].model_validate(data)
    except ValidationError as exc:
        raise InvalidMessage(f"invalid envelope: {_errors(exc)}") from exc
    model = registry.get(envelope.event_type, envelope.event_version)
    if model is None:
        raise UnknownEvent(
            f"unknown event type {envelope.event_type!r} version {envelope.event_version}"
        )
    try:
        event = model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise InvalidMessage(f"invalid {envelope.event_type} payload: {_errors(exc)}") from exc
    return envelope, event


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
    )
