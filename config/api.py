"""The REST API root, mounted at /api/v1; each app adds its router here."""

from ninja import NinjaAPI

api = NinjaAPI(title="Pappus API", version="1.0.0", urls_namespace="api")
