"""Routes of the commissions service, and the one map from its errors to HTTP problems."""

from fastapi import APIRouter
from oms_kit.http import ErrorMap

router = APIRouter(tags=["commissions"])

ERRORS: ErrorMap = {}
