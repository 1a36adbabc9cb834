"""The DNS options every command that asks DNS takes, declared once."""


def add_dns_arguments(parser) -> None:
    parser.add_argument(
        "--nameserver",
        action="append",
        default=None,
        metavar="HOST[:PORT]",
        help="nameserver to ask (repeatable); default: settings.DNS_NAMESERVERS, else the system's",
    )
    parser.add_argument("--timeout", type=float, default=None, help="seconds per DNS query attempt")
