"""The ASGI handler for HTTP: Django's, with the middleware chain and the view run in one thread hop.

Our views are synchronous (DRF), and so is most of Django's middleware. Under Django's stock
ASGIHandler every MiddlewareMixin middleware runs in async mode and moves each of its
process_request/process_response calls into a thread of its own; WhiteNoise, sync-only, adds a hop
back to the event loop. That is more than a dozen thread switches per request, about a third of the
server time of a page of leads (docs/benchmarks.md). Here the chain is built synchronously, exactly
as under WSGI, and the event loop hands each request to it once. WebSockets (Channels) are untouched.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        # thread_sensitive: every request of a process runs on the same thread, as Django's sync
        # views do under ASGI, so connections and thread-locals behave as they do under WSGI.
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)


def get_http_application() -> SyncChainASGIHandler:
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
