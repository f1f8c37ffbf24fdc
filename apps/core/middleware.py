"""Request id middleware: take X-Request-ID from the caller (if sane) or mint one, expose it to logs
and error bodies, and return it in the response header.

The contextvars are set at the start of each request and deliberately not reset at its end: Django
logs 4xx/5xx responses ("Not Found: ...") after the middleware chain has returned, and those lines
must still carry the id. Each ASGI request runs in its own context; a WSGI thread's next request
overwrites the values before anything logs."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

from apps.core.request_context import new_request_id, request_id_var, tenant_id_var

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    @staticmethod
    def _begin(request) -> None:
        request.request_id = new_request_id(request.headers.get(HEADER))
        request_id_var.set(request.request_id)
        tenant_id_var.set("-")

    @staticmethod
    def _end(request, response):
        response[HEADER] = request.request_id
        return response

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        self._begin(request)
        return self._end(request, self.get_response(request))

    async def __acall__(self, request):
        self._begin(request)
        return self._end(request, await self.get_response(request))
