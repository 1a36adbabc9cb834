"""The REST API at /api/ (docs/api.md): Django REST framework over the same access rules, filters and services as the pages."""
