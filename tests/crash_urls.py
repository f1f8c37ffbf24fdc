"""URLconf for error-envelope tests: the real routes plus views that fail on purpose."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from leadvoice.urls import urlpatterns as real_urlpatterns


class ExplodingApiView(APIView):
    permission_classes = [AllowAny]
    tenant_scoped = False
    tenant_scope_reason = "test-only route"

    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


def exploding_plain_view(request):
    raise RuntimeError("secret internals: password=hunter2")


urlpatterns = [
    path("api/v1/test/explode/", ExplodingApiView.as_view()),
    path("api/v1/test/explode-plain/", exploding_plain_view),
    *real_urlpatterns,
]

handler404 = "apps.core.exceptions.handler404"
handler500 = "apps.core.exceptions.handler500"
