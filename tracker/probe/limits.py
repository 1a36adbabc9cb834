"""Bounds on the work one domain may cause, shared by the report-side modules.

Everything read from DNS is attacker-controlled: a customer (or whoever holds
their DNS) can publish 500 MX hosts or a 60 kB DMARC record. These caps keep a
hostile domain from slowing a sweep; when one is hit the report says so and
never claims `clean` for what was not looked at.
"""

from __future__ import annotations

# RFC 7208 4.6.4: DNS-querying terms (include, a, mx, ptr, exists, redirect) per evaluation,
# and void lookups (NXDOMAIN or no records). The one place these numbers are written:
# the engine counts against them, the pages and follow-up rules compare with them.
SPF_MAX_DNS_LOOKUPS = 10
SPF_MAX_VOID_LOOKUPS = 2
# RFC 7208 4.6.4 again: address (A/AAAA) lookups per mx term (more is a permerror when reached),
# and PTR names validated per ptr mechanism or %{p} (the rest are ignored).
SPF_MAX_MX_ADDRESS_LOOKUPS = 10
SPF_MAX_PTR_NAMES = 10

# Whole-domain wall-clock budget: MX, SPF tree and DMARC together (the SPF
# engine has its own RFC 7208 term and void-lookup limits on top of this).
DOMAIN_TIME_BUDGET_S = 30.0

# MX hosts whose addresses are resolved (by preference); names beyond this are
# still matched against the campaign's host patterns, which costs nothing.
MAX_MX_HOSTS_RESOLVED = 16

# Addresses kept per MX host in the report (a host may have hundreds of A records).
MAX_ADDRESSES_PER_HOST = 32

# DMARC: DMARCbis section 4.10 caps the DNS tree walk at 8 queries.
DMARC_TREE_WALK_MAX_QUERIES = 8
MAX_DMARC_RECORD_LENGTH = 2048
MAX_DMARC_URIS = 16

# DKIM selectors checked per domain (the campaign lists them; a typo'd list of
# 1,000 selectors should not become 1,000 queries per customer).
MAX_DKIM_SELECTORS = 8

# A lookup that failed after every retry (timeout, SERVFAIL, ...) is reused this long
# by one sweep's resolver: a dead name included by thousands of customers then costs
# one round of timeouts, not one per customer. It is still a failure (those customers
# get `inconclusive`, never `clean`), and after this long the name is asked again.
FAILED_ANSWER_TTL_S = 60.0

# DNS exchanges in flight per sweep process, whatever the number of domains in flight:
# a burst of thousands of datagrams overflows the nameserver's (or our) socket buffer,
# and every dropped one costs a full timeout. 256 at 20 ms round trip is ~12,000 q/s.
MAX_QUERIES_IN_FLIGHT = 256

# Default number of domains probed at once by one event loop.
DEFAULT_CONCURRENCY = 200
