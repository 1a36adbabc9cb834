"""Tracker pages, one module per area (dashboard, domains, tasks, campaigns, sweeps)."""
