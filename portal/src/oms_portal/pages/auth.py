"""Signing in and out: the sign-in form posts to orders' ``POST /auth/token`` (the
password grant); the token and who it stands for (``GET /users/me``: role, customer,
language) go into the session cookie, with a new form code."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from oms_portal.clients import SignInRefused
from oms_portal.pages import (
    SignedIn,
    home_of,
    local_path,
    portal,
    redirect,
    render,
)
from oms_portal.session import Session, current_session, replace_session

router = APIRouter()

#: A token is taken as expired this long before the services would refuse it, so that a
#: page does not start with a token that dies half-way through its calls.
EXPIRY_MARGIN_S = 5.0


@router.get("/")
async def start(request: Request) -> Response:
    session = current_session(request)
    if session.signed_in and not session.expired():
        return redirect(home_of(session))
    return redirect("/sign-in")


@router.get("/sign-in")
async def sign_in_form(
    request: Request, next: str | None = None, signed_out: bool = False
) -> Response:
    session = current_session(request)
    if session.signed_in and not session.expired():
        return redirect(local_path(next, home_of(session)))
    return render(
        request,
        "sign_in.html",
        next=local_path(next, ""),
        notice="sign_in.signed_out" if signed_out else None,
    )


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    wanted = local_path(str(form.get("next") or ""), "")
    orders = portal(request).clients.orders
    try:
        if not username or not password:
            raise SignInRefused()
        grant = await orders.sign_in(username, password)
    except SignInRefused as refused:
        return render(
            request,
            "sign_in.html",
            status_code=429 if refused.too_many else 400,
            next=wanted,
            username=username,
            error="sign_in.too_many" if refused.too_many else "sign_in.wrong",
        )
    me = await orders.me(grant.access_token)
    session = Session(
        language=me.get("language") or None,
        token=grant.access_token,
        expires_at=time.time() + grant.expires_in - EXPIRY_MARGIN_S,
        username=str(me.get("username") or username),
        role=me.get("role"),
        customer_id=me.get("customer_id"),
        sales_rep_id=me.get("sales_rep_id"),
        partner_id=me.get("partner_id"),
    )
    replace_session(request, session)
    return redirect(local_path(wanted, home_of(session)))


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    replace_session(request, current_session(request).signed_out())
    return redirect("/sign-in?signed_out=true")


@router.get("/no-area")
async def no_area(request: Request, session: SignedIn) -> Response:
    """A role the portal has no pages for yet."""
    return render(
        request,
        "message.html",
        status_code=403,
        title="error.forbidden_title",
        body="error.no_area_body",
    )
