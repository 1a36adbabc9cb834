"""What pages, mails and tasks read: dashboards, timelines, checklists, worklists, access rules.

Queries never write. They return plain values or querysets for views and services.
"""
