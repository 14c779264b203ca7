"""Routes of a quote's documents (DESIGN section 10): the proposal PDF, the attachments,
the customer's signed contract and approval. Who may call each is decided as for the
other routes (``api/scope.py``); every quote, order and attachment is reached through the
caller's ``Reach`` (404 outside it)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import UTC, date
from typing import Annotated, Any
from urllib.parse import quote as url_quote

from fastapi import APIRouter, File, Form, Response, UploadFile
from oms_kit.auth import CUSTOMER, CurrentUser, allow
from oms_kit.domain import InvalidInput, NotFound
from oms_kit.settings import Company

from oms_orders.api.models import (
    AttachmentListPublic,
    AttachmentPublic,
    QuoteAcceptedPublic,
)
from oms_orders.api.scope import BACK_OFFICE_ONLY, PROPOSAL_READERS, SELLERS_AND_BUYERS, Reach
from oms_orders.application import OrdersApplication
from oms_orders.documents.proposal import (
    Party,
    Proposal,
    ProposalLine,
    render_proposal,
)
from oms_orders.domain.customer import Customer
from oms_orders.domain.product import Product
from oms_orders.domain.quote import PROPOSAL, Quote

PDF = "application/pdf"
#: How many proposal PDFs are kept made (a few MB).
RENDERED_KEPT = 128
#: The proposal is made when asked for; its attachment id names the quote.
PROPOSAL_PREFIX = "proposal-"


def proposal_of(app: OrdersApplication, quote: Quote, customer: Customer) -> Proposal:
    """The quote as its PDF shows it, with each product's name from the catalogue."""
    lines = []
    for line in quote.lines:
        product = app.find(Product, Product.create_id(line["sku"]))
        lines.append(
            ProposalLine(
                line_no=line["line_no"],
                sku=line["sku"],
                name=line.get("name") or (product.name if product else line["sku"]),
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                discount_percent=line.get("discount_percent"),
                discount_amount=line.get("discount_amount"),
                tax_rate=line["tax_rate"],
                net_amount=line["net_amount"],
                note=line.get("note"),
            )
        )
    return Proposal(
        number=quote.quote_id[:8].upper(),
        revision=quote.revision,
        issued_on=quote.modified_on.date(),
        valid_until=date.fromisoformat(quote.valid_until) if quote.valid_until else None,
        currency=quote.currency,
        language=customer.language or app.company_language,
        customer=Party(name=customer.name, tax_id=customer.tax_id, email=customer.email),
        lines=lines,
        net_total=quote.net_total,
        tax_total=quote.tax_total,
        total=quote.total,
        payment_terms_days=list(customer.payment_terms_days),
    )


def attachment_public(attachment: dict[str, Any]) -> AttachmentPublic:
    return AttachmentPublic(
        attachment_id=attachment["attachment_id"],
        name=attachment["name"],
        kind=attachment["kind"],
        content_type=attachment["content_type"],
        size=attachment["size"],
        uploaded_at=attachment["uploaded_at"],
        uploaded_by=attachment["uploaded_by"],
    )


def file_response(data: bytes, content_type: str, name: str) -> Response:
    disposition = f"inline; filename*=UTF-8''{url_quote(name)}"
    return Response(data, media_type=content_type, headers={"content-disposition": disposition})


def build_documents_router(app: OrdersApplication, company: Company) -> APIRouter:
    router = APIRouter(tags=["documents"])
    sellers_and_buyers = [allow(*SELLERS_AND_BUYERS)]

    # The last PDFs made, by the versions of the quote and customer they show: a list of
    # attachments needs the proposal's size, and a download follows it.
    rendered: OrderedDict[tuple[Any, ...], tuple[bytes, str]] = OrderedDict()
    lock = threading.Lock()

    def proposal_pdf(quote: Quote) -> tuple[bytes, str]:
        customer = app.get(Customer, quote.customer_id, field="customer_id")
        key = (quote.id, quote.version, customer.id, customer.version)
        with lock:
            if key in rendered:
                rendered.move_to_end(key)
                return rendered[key]
        proposal = proposal_of(app, quote, customer)
        made = render_proposal(proposal, company), f"{proposal.number}.pdf"
        with lock:
            rendered[key] = made
            while len(rendered) > RENDERED_KEPT:
                rendered.popitem(last=False)
        return made

    def listed(quote: Quote) -> AttachmentListPublic:
        data, name = proposal_pdf(quote)
        proposal = AttachmentPublic(
            attachment_id=PROPOSAL_PREFIX + quote.quote_id,
            name=name,
            kind=PROPOSAL,
            content_type=PDF,
            size=len(data),
            uploaded_at=quote.modified_on.astimezone(UTC),
            uploaded_by=None,
        )
        return AttachmentListPublic(
            items=[proposal, *(attachment_public(a) for a in quote.attachments)]
        )

    @router.get(
        "/quotes/{quote_id}/pdf",
        dependencies=[allow(*PROPOSAL_READERS)],
        response_class=Response,
        responses={200: {"content": {PDF: {}}, "description": "The proposal PDF"}},
    )
    def get_proposal_pdf(quote_id: str, caller: CurrentUser) -> Response:
        """The proposal in the customer's language (also for a service's token: the
        notifications service attaches it to the e-mail that sends the quote)."""
        data, name = proposal_pdf(Reach(app, caller).quote(quote_id))
        return file_response(data, PDF, name)

    @router.get("/quotes/{quote_id}/attachments", dependencies=sellers_and_buyers)
    def list_quote_attachments(quote_id: str, caller: CurrentUser) -> AttachmentListPublic:
        """The proposal PDF first, then the files attached, oldest first."""
        return listed(Reach(app, caller).quote(quote_id))

    @router.get("/orders/{order_id}/attachments", dependencies=sellers_and_buyers)
    def list_order_attachments(order_id: str, caller: CurrentUser) -> AttachmentListPublic:
        """An order's documents: those of the quote it came from (none otherwise)."""
        reach = Reach(app, caller)
        order = reach.order(order_id)
        if order.quote_id is None:
            return AttachmentListPublic(items=[])
        return listed(reach.quote(order.quote_id))

    @router.post(
        "/quotes/{quote_id}/attachments",
        status_code=201,
        dependencies=[allow(*BACK_OFFICE_ONLY)],
    )
    def attach_to_quote(
        quote_id: str,
        caller: CurrentUser,
        file: Annotated[UploadFile | None, File()] = None,
        kind: Annotated[str, Form()] = "other",
    ) -> AttachmentPublic:
        """A contract (the customer must sign it before approving) or another file: PDF,
        PNG or JPEG by its content (422 otherwise), up to the size limit (413)."""
        Reach(app, caller).quote(quote_id)
        upload = _required(file)
        attachment = app.attach_to_quote(
            quote_id,
            kind=kind,
            name=upload.filename or "attachment",
            data=_read(upload, app.attachment_max_bytes),
            uploaded_by=caller.subject,
        )
        return attachment_public(attachment)

    @router.post(
        "/quotes/{quote_id}/signed-contract", status_code=201, dependencies=[allow(CUSTOMER)]
    )
    def sign_contract(
        quote_id: str,
        caller: CurrentUser,
        file: Annotated[UploadFile | None, File()] = None,
    ) -> AttachmentPublic:
        """The customer's signed copy of the contract, named in his language ("Contrato
        Assinado.pdf")."""
        Reach(app, caller).quote(quote_id)
        upload = _required(file)
        attachment = app.sign_contract(
            quote_id,
            name=upload.filename or "contract",
            data=_read(upload, app.attachment_max_bytes),
            uploaded_by=caller.subject,
        )
        return attachment_public(attachment)

    @router.post("/quotes/{quote_id}/approve", dependencies=[allow(CUSTOMER)])
    def approve_quote(quote_id: str, caller: CurrentUser) -> QuoteAcceptedPublic:
        """The customer approves his sent proposal: its order awaits invoicing until the
        back office releases it (``POST /orders/{id}/approve``). 409 naming
        ``signed_contract`` while a contract awaits its signed copy."""
        Reach(app, caller).quote(quote_id)
        quote, order = app.approve_quote(quote_id, approved_by=caller.subject)
        return QuoteAcceptedPublic(
            quote_id=quote.quote_id,
            status=quote.status,
            order_id=order.order_id,
            order_status=order.status,
        )

    @router.get(
        "/attachments/{attachment_id}",
        dependencies=sellers_and_buyers,
        response_class=Response,
        responses={200: {"content": {PDF: {}, "image/png": {}, "image/jpeg": {}}}},
    )
    def get_attachment(attachment_id: str, caller: CurrentUser) -> Response:
        """The file's bytes, for a caller who may see its quote."""
        reach = Reach(app, caller)
        try:
            if attachment_id.startswith(PROPOSAL_PREFIX):
                quote = reach.quote(attachment_id.removeprefix(PROPOSAL_PREFIX))
                data, name = proposal_pdf(quote)
                return file_response(data, PDF, name)
            stored = app.get_attachment(attachment_id)
            reach.quote(stored.quote_id)
        except NotFound as missing:  # outside reach: as if it did not exist
            raise NotFound(f"no attachment {attachment_id}", field="attachment_id") from missing
        return file_response(stored.data, stored.content_type, stored.name)

    return router


def _required(file: UploadFile | None) -> UploadFile:
    """The uploaded file; checked here rather than by FastAPI so that a quote outside
    the caller's reach answers 404 whatever the body."""
    if file is None:
        raise InvalidInput("file is required (multipart/form-data)", field="file")
    return file


def _read(file: UploadFile, max_bytes: int) -> bytes:
    """The upload's bytes, read no further than one byte past the limit (the command
    answers 413 for that)."""
    return file.file.read(max_bytes + 1)
