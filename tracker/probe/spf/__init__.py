"""SPF (RFC 7208): record parser, macro expansion, check_host() and include-tree analysis."""
