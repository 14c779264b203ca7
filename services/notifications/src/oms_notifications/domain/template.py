"""A template of one document type in one language, as the back office edited it; the
shipped default (a file of the service) is used until then."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class Template(Aggregate):
    class Opened(Aggregate.Created):
        document_type: str
        language: str

    class Edited(Aggregate.Event):
        subject: str
        body: str
        edited_by: str

    @staticmethod
    def create_id(document_type: str, language: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/notifications/template/{document_type}/{language}")

    @event(Opened)
    def __init__(self, document_type: str, language: str) -> None:
        self.document_type = document_type
        self.language = language
        self.subject = ""
        self.body = ""

    def edit(self, subject: str, body: str, edited_by: str) -> bool:
        """False when it says that already."""
        if (subject, body) == (self.subject, self.body):
            return False
        self._edited(subject, body, edited_by)
        return True

    @event(Edited)
    def _edited(self, subject: str, body: str, edited_by: str) -> None:
        self.subject = subject
        self.body = body
