"""Read models of the billing service, each rebuildable with `oms replay billing NAME`."""

from oms_kit.projection import Projection

from oms_billing.projections.invoices import InvoiceListView
from oms_billing.projections.statement import StatementView


def projections() -> list[Projection]:
    return [InvoiceListView(), StatementView()]
