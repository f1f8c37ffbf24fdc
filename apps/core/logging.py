"""Logging glue: every record carries the request id and tenant of the request that produced it."""

import logging

from apps.core.request_context import request_id_var, tenant_id_var


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.tenant_id = tenant_id_var.get()
        return True
