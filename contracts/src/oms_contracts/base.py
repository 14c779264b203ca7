"""The base class of every public event payload, the shared value types and the registry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    PlainSerializer,
    WithJsonSchema,
)


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite decimal")
    return value


#: Money and other exact amounts travel as decimal strings ("100.00"), never floats.
DecimalStr = Annotated[
    Decimal,
    AfterValidator(_finite),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}),
]


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


#: Quantities are JSON numbers (DESIGN section 5), held as Decimal in Python.
Quantity = Annotated[
    Decimal,
    AfterValidator(_finite),
    PlainSerializer(_number, when_used="json"),
    WithJsonSchema({"type": "number"}),
]

UtcDatetime = AwareDatetime
Day = date


class ContractEvent(BaseModel):
    """One public event payload. Subclasses set ``event_type``, ``event_version``, ``source``.

    Unknown fields are ignored so that a consumer keeps working when the producer adds an
    optional field (the evolution rule).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    source: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Classes named with a leading underscore group a service's events; the rest are events.
        if not cls.__name__.startswith("_"):
            cls.event_type = cls.__dict__.get("event_type", cls.__name__)
            registry.add(cls)


class Registry:
    """Every public event model, by (event_type, event_version)."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, int], type[ContractEvent]] = {}

    def add(self, model: type[ContractEvent]) -> None:
        key = (model.event_type, model.event_version)
        if key in self._models and self._models[key] is not model:
            raise ValueError(f"event {key} is defined twice")
        self._models[key] = model

    def get(self, event_type: str, event_version: int) -> type[ContractEvent] | None:
        return self._models.get((event_type, event_version))

    def all(self) -> list[type[ContractEvent]]:
        return sorted(
            self._models.values(), key=lambda m: (m.source, m.event_type, m.event_version)
        )

    def sources(self) -> list[str]:
        """The services that publish events: those with a topic of their own."""
        return sorted({m.source for m in self._models.values()})


registry = Registry()

__all__ = [
    "ContractEvent",
    "Day",
    "DecimalStr",
    "Quantity",
    "UtcDatetime",
    "datetime",
    "registry",
]
