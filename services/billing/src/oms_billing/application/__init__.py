"""The billing service's use cases: one Application method per command."""

from oms_kit.eventstore import ServiceApplication


class BillingApplication(ServiceApplication):
    name = "billing"
