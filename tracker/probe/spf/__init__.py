"""SPF (RFC 7208) for the probe engine.

Modules, one job each: `parser` (record grammar), `macro_syntax` and `macros`
(section 7), `lookup` (fetching a domain's record), `check_host` (evaluation
with the lazy limits of section 4.6.4), `graph` (fetching a whole include
tree, bounded), `answers` (the answers in hand, the a/mx questions),
`evaluation` (what a receiver gets from that tree), `suggest` (one record
rewritten for the successor), `samples` (senders a record authorizes today),
`verify` (a rewrite checked before it is offered), `advice` (status, reasons
and words for the report) and `tree` (`analyze_spf`, which the engine calls).
"""

from .check_host import SpfResult, check_host
from .lookup import SpfLookup, fetch_spf
from .parser import SpfRecord, SpfSyntaxError, Term, is_spf_record, parse_record
from .tree import LookupFailure, Reference, SpfAnalysis, analyze_spf

__all__ = [
    "LookupFailure",
    "Reference",
    "SpfAnalysis",
    "SpfLookup",
    "SpfRecord",
    "SpfResult",
    "SpfSyntaxError",
    "Term",
    "analyze_spf",
    "check_host",
    "fetch_spf",
    "is_spf_record",
    "parse_record",
]
