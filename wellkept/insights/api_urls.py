"""URLs of the versioned API, mounted at ``/api/v1/`` (see ``insights.api``)."""

from wellkept.insights.api import urls

urlpatterns, _, app_name = urls()
