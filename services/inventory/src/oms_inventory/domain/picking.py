"""Pick lists (what to take from which lot for an order) and goods issues (WZ: what left)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate, event

from oms_inventory.domain.errors import InvalidPick, PickListClosed
from oms_inventory.domain.stock import ZERO, LotKey, LotLine, Stock, as_dicts, from_dicts

OPEN = "open"
DONE = "done"
CANCELLED = "cancelled"


class PickList(Aggregate):
    """What to take from which lot for an order; confirmed once with what was picked."""

    class Created(Aggregate.Created):
        order_id: str
        lines: list[dict[str, Any]]
        follows: str | None = None

    class Confirmed(Aggregate.Event):
        order_id: str
        lines: list[dict[str, Any]]
        goods_issue_id: str
        follow_up_pick_list_id: str | None
        idempotency_key: str | None = None

    class Cancelled(Aggregate.Event):
        order_id: str
        reason: str

    @event(Created)
    def __init__(
        self, order_id: str, lines: list[dict[str, Any]], follows: str | None = None
    ) -> None:
        self.order_id = order_id
        self.lines = from_dicts(lines)
        self.follows = follows
        self.status = OPEN
        self.picked: list[LotLine] = []
        self.goods_issue_id: str | None = None
        self.follow_up_pick_list_id: str | None = None
        self.confirmation_key: str | None = None

    @classmethod
    def open(cls, order_id: str, lines: list[LotLine], follows: str | None = None) -> PickList:
        return cls(order_id=order_id, lines=as_dicts(lines), follows=follows)

    def check_open(self) -> None:
        if self.status != OPEN:
            raise PickListClosed(f"pick list {self.id} is {self.status}")

    def confirm(
        self,
        picked: list[LotLine],
        goods_issue_id: str,
        follow_up_pick_list_id: str | None,
        idempotency_key: str | None = None,
    ) -> None:
        self.check_open()
        self._confirmed(
            order_id=self.order_id,
            lines=as_dicts(picked),
            goods_issue_id=goods_issue_id,
            follow_up_pick_list_id=follow_up_pick_list_id,
            idempotency_key=idempotency_key,
        )

    def confirmed_with(self, idempotency_key: str | None) -> bool:
        """Whether this list was already confirmed by a request carrying this key (a
        scanner's retry after a lost answer)."""
        return (
            idempotency_key is not None
            and self.status == DONE
            and self.confirmation_key == idempotency_key
        )

    def cancel(self, reason: str) -> bool:
        if self.status != OPEN:
            return False
        self._cancelled(order_id=self.order_id, reason=reason)
        return True

    @event(Confirmed)
    def _confirmed(
        self,
        order_id: str,
        lines: list[dict[str, Any]],
        goods_issue_id: str,
        follow_up_pick_list_id: str | None,
        idempotency_key: str | None = None,
    ) -> None:
        self.status = DONE
        self.picked = from_dicts(lines)
        self.goods_issue_id = goods_issue_id
        self.follow_up_pick_list_id = follow_up_pick_list_id
        self.confirmation_key = idempotency_key

    @event(Cancelled)
    def _cancelled(self, order_id: str, reason: str) -> None:
        self.status = CANCELLED


class GoodsIssue(Aggregate):
    """The goods-issue document (WZ) of one confirmed pick: billing invoices it."""

    class Issued(Aggregate.Created):
        order_id: str
        pick_list_id: str
        lines: list[dict[str, Any]]

    @event(Issued)
    def __init__(self, order_id: str, pick_list_id: str, lines: list[dict[str, Any]]) -> None:
        self.order_id = order_id
        self.pick_list_id = pick_list_id
        self.lines = from_dicts(lines)


@dataclass(frozen=True)
class PickedLine:
    """One line as reported by the picker (no expiry: the lot knows it)."""

    sku: str
    warehouse: str
    lot: str
    quantity: Decimal


@dataclass(frozen=True)
class PickPlan:
    """The effect of a confirmation: per sku, the lots picked and the order's reservations
    they use up; and what stays to pick on a follow-up list."""

    picked: dict[str, list[LotLine]]
    released: dict[str, list[LotLine]]
    remaining: list[LotLine]

    @property
    def picked_lines(self) -> list[LotLine]:
        return [line for lines in self.picked.values() for line in lines]


def plan_pick(
    pick_list: PickList, lines: list[PickedLine], stocks: Mapping[str, Stock]
) -> PickPlan:
    """Check what the picker reports against the list and the stock (raising InvalidPick
    naming the field) and work out its effect. Picking less than listed is allowed; picking
    another lot than listed moves the reservation when that lot has enough available."""
    pick_list.check_open()
    if not lines:
        raise InvalidPick("nothing was picked", field="lines")
    listed: dict[str, list[LotLine]] = {}
    for listed_line in pick_list.lines:
        listed.setdefault(listed_line.sku, []).append(listed_line)
    picked_per_sku: dict[str, Decimal] = {}
    from_lot: dict[tuple[str, LotKey], Decimal] = {}
    for i, line in enumerate(lines):
        if line.sku not in listed:
            raise InvalidPick(f"sku {line.sku!r} is not on the pick list", field=f"lines.{i}.sku")
        if not line.quantity.is_finite() or line.quantity <= ZERO:
            raise InvalidPick("quantity must be greater than zero", field=f"lines.{i}.quantity")
        total = picked_per_sku.get(line.sku, ZERO) + line.quantity
        if total > sum((x.quantity for x in listed[line.sku]), ZERO):
            raise InvalidPick(
                f"more of {line.sku} picked than the list has", field=f"lines.{i}.quantity"
            )
        picked_per_sku[line.sku] = total
        sku_lot = (line.sku, lot_key(line))
        so_far = from_lot.get(sku_lot, ZERO) + line.quantity
        stock = stocks[line.sku]
        lot = stock.lot(line.warehouse, line.lot)
        if lot is None:
            raise InvalidPick(
                f"no lot {line.lot!r} of {line.sku} in warehouse {line.warehouse!r}",
                field=f"lines.{i}.lot",
            )
        on_list = any(x.key == (line.warehouse, line.lot) for x in listed[line.sku])
        if on_list:
            held = min(
                stock.reserved_by(pick_list.order_id, line.warehouse, line.lot),
                sum((x.quantity for x in listed[line.sku] if x.key == lot_key(line)), ZERO),
            )
            if so_far > held:
                raise InvalidPick(
                    f"lot {line.lot!r} has {held} of {line.sku} reserved, less than picked",
                    field=f"lines.{i}.quantity",
                )
        elif so_far > lot.available:
            raise InvalidPick(
                f"lot {line.lot!r} has {lot.available} of {line.sku} available, less than picked",
                field=f"lines.{i}.lot",
            )
        from_lot[sku_lot] = so_far

    picked: dict[str, list[LotLine]] = {}
    released: dict[str, list[LotLine]] = {}
    remaining: list[LotLine] = []
    for sku, listed_lines in listed.items():
        stock = stocks[sku]
        # What stays listed per lot after the picks from that same lot...
        left = {x.key: x.quantity - from_lot.get((sku, x.key), ZERO) for x in listed_lines}
        released_per_lot = {x.key: from_lot.get((sku, x.key), ZERO) for x in listed_lines}
        # ...then picks from other lots use up the listed reservations, latest expiry first.
        moved = sum(
            (quantity for (of, at), quantity in from_lot.items() if of == sku and at not in left),
            ZERO,
        )
        for x in reversed(listed_lines):
            if moved <= ZERO:
                break
            take = min(left[x.key], moved)
            left[x.key] -= take
            released_per_lot[x.key] += take
            moved -= take
        for (of, (warehouse, lot_name)), quantity in from_lot.items():
            if of == sku:
                picked_lot = stock.lot(warehouse, lot_name)
                expires_on = picked_lot.expires_on if picked_lot is not None else None
                picked.setdefault(sku, []).append(
                    LotLine(sku, warehouse, lot_name, quantity, expires_on)
                )
        released[sku] = [
            x.with_quantity(released_per_lot[x.key])
            for x in listed_lines
            if released_per_lot[x.key] > ZERO
        ]
        remaining.extend(x.with_quantity(left[x.key]) for x in listed_lines if left[x.key] > ZERO)
    return PickPlan(
        picked={k: v for k, v in picked.items() if v},
        released={k: v for k, v in released.items() if v},
        remaining=remaining,
    )


def lot_key(line: PickedLine) -> LotKey:
    return (line.warehouse, line.lot)
