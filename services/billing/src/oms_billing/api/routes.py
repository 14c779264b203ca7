"""Routes of the billing service, and the one map from its errors to HTTP problems."""

from fastapi import APIRouter
from oms_kit.http import ErrorMap

router = APIRouter(tags=["billing"])

ERRORS: ErrorMap = {}
