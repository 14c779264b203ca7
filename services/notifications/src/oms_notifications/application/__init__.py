"""The notifications service's use cases: one Application method per command."""

from oms_kit.eventstore import ServiceApplication


class NotificationsApplication(ServiceApplication):
    name = "notifications"
