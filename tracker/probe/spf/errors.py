"""The one exception of the SPF package: a record that breaks RFC 7208 syntax."""


class SpfSyntaxError(ValueError):
    """A syntax error in an SPF record; check_host() turns it into `permerror`."""


def shown(text: str, limit: int = 80) -> str:
    """Record text quoted for a message, shortened: it is attacker-controlled and may be 60 kB."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
