"""Cursor pagination: stable pages while rows are added, and no COUNT over a large table."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Pages in id order (ids only grow): `?cursor=` from the `next` link; `?page_size=` up to 1000."""

    ordering = "pk"
    page_size_query_param = "page_size"
    max_page_size = 1000
