"""The probe engine: pure Python (asyncio + dnspython), no Django import.

Given a campaign and domains it reads MX, SPF (the whole include tree) and
DMARC from DNS and builds one report per domain (docs/domain-report.md).
"""
