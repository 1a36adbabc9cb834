"""The one exception of the SPF package: a record that breaks RFC 7208 syntax."""


class SpfSyntaxError(ValueError):
    """A syntax error in an SPF record; check_host() turns it into `permerror`."""
