"""Request id middleware: take X-Request-ID from the caller (if sane) or mint one, expose it to logs
and error bodies, and return it in the response header."""

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

    def _begin(self, request):
        request.request_id = new_request_id(request.headers.get(HEADER))
        return request_id_var.set(request.request_id), tenant_id_var.set("-")

    @staticmethod
    def _end(request, response, tokens):
        response[HEADER] = request.request_id
        request_id_var.reset(tokens[0])
        tenant_id_var.reset(tokens[1])
        return response

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        tokens = self._begin(request)
        return self._end(request, self.get_response(request), tokens)

    async def __acall__(self, request):
        tokens = self._begin(request)
        return self._end(request, await self.get_response(request), tokens)
