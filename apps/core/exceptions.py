"""One error envelope for the whole API: {detail, code, request_id} plus errors[] for validation.

DRF exceptions go through `api_exception_handler`; errors raised outside DRF (unknown URLs, crashes
in plain Django views) go through the `handler404`/`handler500` views at the bottom. Codes follow
spec 002's vocabulary (VALIDATION_ERROR, AUTHENTICATION_ERROR, NOT_FOUND, ...); a specific code
given by the raiser (INVALID_CREDENTIALS, TOKEN_NOT_VALID, ...) wins over the generic one.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.core.request_context import current_request_id

logger = logging.getLogger(__name__)

# DRF's generic codes, renamed to the platform vocabulary; any other code is passed on upper-cased.
GENERIC_CODES = {
    "invalid": "VALIDATION_ERROR",
    "not_authenticated": "AUTHENTICATION_ERROR",
    "authentication_failed": "AUTHENTICATION_ERROR",
    "permission_denied": "AUTHORIZATION_ERROR",
    "not_found": "NOT_FOUND",
    "method_not_allowed": "METHOD_NOT_ALLOWED",
    "not_acceptable": "NOT_ACCEPTABLE",
    "unsupported_media_type": "UNSUPPORTED_MEDIA_TYPE",
    "parse_error": "PARSE_ERROR",
    "throttled": "RATE_LIMIT_EXCEEDED",
    "error": "INTERNAL_ERROR",
}


class ApplicationError(exceptions.APIException):
    """A domain refusal with its own status and machine-readable code, raised by services.

    >>> raise ApplicationError("Campaign is completed", code="INVALID_TRANSITION", status_code=409)
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "application_error"

    def __init__(self, detail: str, *, code: str, status_code: int | None = None, extra: dict | None = None):
        super().__init__(detail=detail, code=code)
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}


class QueryValidationError(exceptions.ValidationError):
    """Bad query-string parameters: reported with loc ["query", name] instead of ["body", name]."""

    loc_root = "query"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "PAYLOAD_TOO_LARGE"


def envelope(detail: str, code: str, **extra: Any) -> dict:
    return {"detail": detail, "code": code, "request_id": current_request_id(), **extra}


def _flatten(detail: Any, loc: list) -> list[dict]:
    """Turn DRF's nested ValidationError detail into [{loc, msg, type}] (FastAPI-like, as spec 000 shows)."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            out.extend(_flatten(value, loc if key == "non_field_errors" else [*loc, key]))
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            # A list of errors for one field stays on that field; a list of objects gets indices.
            out.extend(_flatten(value, [*loc, index] if isinstance(value, dict | list) else loc))
        return out
    return [{"loc": loc, "msg": str(detail), "type": getattr(detail, "code", "invalid") or "invalid"}]


def _code_for(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    return GENERIC_CODES.get(code, str(code).upper())


def api_exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()

    if not isinstance(exc, exceptions.APIException):
        view = context.get("view")
        logger.exception("Unhandled error in %s", type(view).__name__ if view else "API view")
        set_rollback()
        detail = f"Internal server error: {exc!r}" if settings.DEBUG else "Internal server error."
        return Response(envelope(detail, "INTERNAL_ERROR"), status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail, [getattr(exc, "loc_root", "body")])
        first = errors[0] if errors else {"loc": [], "msg": "Invalid input."}
        where = ".".join(str(part) for part in first["loc"][1:])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        body = envelope(detail, "VALIDATION_ERROR", errors=errors)
    else:
        detail = exc.detail
        if isinstance(detail, dict | list):  # e.g. simplejwt's {"detail", "code", "messages"}
            detail = detail.get("detail", str(detail)) if isinstance(detail, dict) else "; ".join(map(str, detail))
        body = envelope(str(detail), _code_for(exc), **getattr(exc, "extra", {}))

    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def _wants_json(request: HttpRequest) -> bool:
    path = request.path
    if path.startswith(("/api/", "/webhooks/", "/health")):
        return True
    accept = request.headers.get("Accept", "")
    return "text/html" not in accept


def handler404(request: HttpRequest, exception: Exception | None = None):
    if not _wants_json(request):
        from django.views.defaults import page_not_found

        return page_not_found(request, exception)
    return JsonResponse(envelope(f"Not found: {request.path}", "NOT_FOUND"), status=404)


def handler500(request: HttpRequest):
    if not _wants_json(request):
        from django.views.defaults import server_error

        return server_error(request)
    return JsonResponse(envelope("Internal server error.", "INTERNAL_ERROR"), status=500)


def handler403(request: HttpRequest, exception: Exception | None = None):
    if not _wants_json(request):
        from django.views.defaults import permission_denied

        return permission_denied(request, exception)
    return JsonResponse(
        envelope("You do not have permission to perform this action.", "AUTHORIZATION_ERROR"), status=403
    )


def handler400(request: HttpRequest, exception: Exception | None = None):
    if not _wants_json(request):
        from django.views.defaults import bad_request

        return bad_request(request, exception)
    return JsonResponse(envelope("Bad request.", "BAD_REQUEST"), status=400)
