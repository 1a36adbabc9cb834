"""One DMARC record read the way receivers read it (RFC 7489 section 6, RFC 9989 sections 4.7 and 4.8).

Only a text that starts exactly with `v=DMARC1` is a DMARC record. Inside one,
a tag with a bad value is discarded, not the record: `p=reject; pct=150` still
says `reject`. The policy tags are the exception both RFCs spell out: an invalid
or missing `p` (or an invalid `sp`, and in RFC 9989 `np`) turns the record into
`p=none` when it has a valid `rua`, and into no policy at all when it has not.

Where the two RFCs differ, RFC 9989 (the newer text) decides: `np`, `psd` and
`t` are understood, `pct`, `rf` and `ri` are removed tags (flagged, their values
only warned about), and `fo=0:1` is accepted as RFC 7489 allows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.probe.limits import MAX_DMARC_RECORD_LENGTH, MAX_DMARC_URIS

DEPRECATED_TAGS = ("pct", "rf", "ri")  # removed by RFC 9989
POLICIES = ("none", "quarantine", "reject")
POLICY_TAGS = ("p", "sp", "np")

# RFC 9989 4.8: dmarc-version = "v" equals %s"DMARC1" at the very start (the tag name is
# case-insensitive as every ABNF literal, the value is case-sensitive; no leading space).
_DMARC_START = re.compile(r"^[vV][ \t]*=[ \t]*DMARC1[ \t]*(;|$)")
# What a person may have meant as a DMARC record: worth a warning when it is ignored.
_NEAR_MISS = re.compile(r"^\s*v\s*=\s*dmarc1", re.IGNORECASE)
_TAG_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_URI = re.compile(r"^[a-z][a-z0-9+.-]*:[^\s!,]+$", re.IGNORECASE)
# The obsolete report size limit (RFC 9989 obs-dmarc-report-size), spaces tolerated as receivers do.
_SIZE_SUFFIX = re.compile(r"^(?P<uri>.*?)(?P<size>\s*!\s*[0-9]+\s*[kmgt]?)$", re.IGNORECASE)


class DmarcSyntaxError(ValueError):
    """A text that is no usable DMARC record as a whole; the message says why."""


@dataclass(frozen=True)
class DmarcRecord:
    """A parsed DMARC record: the tags receivers apply, and what they discard.

    `tags` holds valid tags only (names lower case, enumerated values lower case);
    the removed tags `pct`, `rf` and `ri` are kept as written, valid or not.
    `problems` are what receivers discard (a tag with a bad value, a word that is
    no tag) or cannot apply (no usable policy); `warnings` change nothing they do.
    """

    text: str
    tags: dict[str, str]
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    discarded: tuple[str, ...] = ()  # names of tags dropped for a bad value

    @property
    def p(self) -> str | None:
        return self.tags.get("p")

    @property
    def sp(self) -> str | None:
        return self.tags.get("sp")

    @property
    def np(self) -> str | None:
        return self.tags.get("np")

    @property
    def psd(self) -> str:
        return self.tags.get("psd", "u")

    @property
    def testing(self) -> bool:
        return self.tags.get("t") == "y"

    @property
    def has_valid_rua(self) -> bool:
        return bool(self.tags.get("rua"))

    @property
    def deprecated_tags(self) -> list[str]:
        return [tag for tag in DEPRECATED_TAGS if tag in self.tags]

    @property
    def policies(self) -> tuple[str, str | None, str | None] | None:
        """(p, sp, np) as receivers apply them, or None: no DMARC policy at all.

        RFC 7489 6.6.3 step 6 and RFC 9989 4.10.1: without a valid `p`, or with an
        invalid `sp` or `np`, the record reads as `p=none` if it has a valid `rua`,
        else it applies nothing. The valid `sp` and `np` are kept beside that `p=none`
        (RFC 9989 4.7: a record without `p` is read "as if it included p=none").
        """
        broken = [tag for tag in POLICY_TAGS if tag in self.discarded]
        if self.p is not None and not broken:
            return self.p, self.sp, self.np
        if not self.has_valid_rua:
            return None
        return "none", self.sp, self.np


def is_dmarc_record(text: str) -> bool:
    """Starts exactly with `v=DMARC1` (RFC 7489 6.6.3, RFC 9989 4.10: other TXT records are discarded)."""
    return bool(_DMARC_START.match(text))


def near_miss(text: str) -> str | None:
    """Why a TXT record that looks like DMARC is not one (receivers ignore it), or None."""
    if is_dmarc_record(text) or not _NEAR_MISS.match(text):
        return None
    if text[:1].isspace():
        return "it starts with a space"
    version = text.split(";", 1)[0].partition("=")[2].strip()
    return f"its version {version[:30]!r} is not 'DMARC1' (case-sensitive, ended by ';')"


def parse_dmarc(text: str) -> DmarcRecord:
    """Parse one DMARC record; DmarcSyntaxError only when no tag of it can apply."""
    if not is_dmarc_record(text):
        raise DmarcSyntaxError("the record must start with v=DMARC1")
    if len(text) > MAX_DMARC_RECORD_LENGTH:
        raise DmarcSyntaxError(f"record is {len(text)} characters long (at most {MAX_DMARC_RECORD_LENGTH})")
    reading = _Reading()
    seen = {"v"}
    for part in text.split(";")[1:]:
        part = part.strip()
        if not part:
            continue  # a trailing ';' (or ';;'): nothing to read
        name, sep, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not sep or not _TAG_NAME.match(name):
            reading.problem(None, f"{part[:60]!r} is not a tag=value pair (receivers skip it)")
            continue
        if name in seen:
            # RFC 6376 3.2, whose tag-value syntax DMARC uses: a repeated tag invalidates the whole list.
            raise DmarcSyntaxError(f"tag {name!r} appears twice (the whole record is invalid)")
        seen.add(name)
        reading.tag(name, value)
    reading.settle_policy()
    return DmarcRecord(
        text=text,
        tags=reading.tags,
        problems=tuple(reading.problems),
        warnings=tuple(reading.warnings),
        discarded=tuple(reading.discarded),
    )


class _Reading:
    """The tags of one record as they are read, with what was discarded and why."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.discarded: list[str] = []
        self.bad_policies: list[str] = []  # "p='block'", ...

    def problem(self, tag: str | None, message: str) -> None:
        self.problems.append(message)
        if tag is not None:
            self.discarded.append(tag)

    def tag(self, name: str, value: str) -> None:
        match name:
            case "p" | "sp" | "np":
                self._choice(name, value, POLICIES)
            case "adkim" | "aspf":
                self._choice(name, value, ("r", "s"))
            case "psd":
                self._choice(name, value, ("y", "n", "u"))
            case "t":
                self._choice(name, value, ("y", "n"))
            case "rua" | "ruf":
                self._uris(name, value)
            case "fo":
                self._failure_options(value)
            case "pct" | "rf" | "ri":
                self._removed(name, value)
            case _:
                self.warnings.append(f"unknown tag {name!r} ignored")

    def _choice(self, tag: str, value: str, choices: tuple[str, ...]) -> None:
        if value.lower() in choices:
            self.tags[tag] = value.lower()
            return
        if tag in POLICY_TAGS:  # what that does to the record is said once, by settle_policy
            self.discarded.append(tag)
            self.bad_policies.append(f"{tag}={value[:40]!r}")
            return
        self.problem(
            tag, f"{tag}={value[:40]!r} is not one of {', '.join(choices)} (receivers ignore the tag)"
        )

    def _uris(self, tag: str, value: str) -> None:
        if not value:
            self.warnings.append(f"{tag}= has no value: ignored")
            return
        items = [item.strip() for item in value.split(",")]
        if len(items) > MAX_DMARC_URIS:
            self.warnings.append(f"{tag} lists {len(items)} URIs: only the first {MAX_DMARC_URIS} are read")
            items = items[:MAX_DMARC_URIS]
        valid = []
        for item in items:
            uri, size = item, ""
            if match := _SIZE_SUFFIX.match(item):
                uri, size = match.group("uri").strip(), match.group("size")
            if not _URI.match(uri):
                self.problem(
                    None, f"{tag}: {item[:80]!r} is not a URI such as mailto:dmarc@example.com (skipped)"
                )
                continue
            if any(char.isspace() for char in size):
                self.warnings.append(
                    f"{tag}: the size limit {size.strip()!r} of {uri[:80]!r} contains spaces "
                    "(obsolete syntax that RFC 9989 reporters ignore)"
                )
            valid.append(item)
        if valid:
            self.tags[tag] = ",".join(valid)
        else:
            self.discarded.append(tag)

    def _failure_options(self, value: str) -> None:
        items = [item.strip().lower() for item in value.split(":")]
        unknown = [item for item in items if item not in ("0", "1", "d", "s")]
        if unknown:
            self.problem(
                "fo", f"fo={value[:40]!r}: options are 0, 1, d and s separated by ':' (receivers ignore it)"
            )
            return
        if "0" in items and "1" in items:
            self.warnings.append(
                "fo: 0 and 1 together (RFC 9989 makes them exclusive; 1 asks for more reports)"
            )
        self.tags["fo"] = ":".join(items)

    def _removed(self, tag: str, value: str) -> None:
        """pct, rf, ri: RFC 9989 removed them (its receivers ignore them); kept as written, only warned about."""
        self.tags[tag] = value
        if tag == "pct":
            if not value.isdigit() or int(value) > 100:
                self.warnings.append(f"pct={value[:20]!r} is not a whole number from 0 to 100 (RFC 7489)")
            elif int(value) < 100:
                self.warnings.append(
                    f"pct={int(value)}: receivers that still read pct (RFC 7489) apply the policy to "
                    f"{int(value)}% of failing mail only"
                )
        elif tag == "ri" and (not value.isdigit() or int(value) >= 2**32):
            self.warnings.append(f"ri={value[:20]!r} is not a number of seconds (RFC 7489)")
        elif tag == "rf" and any(item.strip().lower() != "afrf" for item in value.split(":")):
            self.warnings.append(f"rf={value[:20]!r}: afrf is the only report format (RFC 7489)")

    def settle_policy(self) -> None:
        """Say what the policy tags leave receivers with (RFC 7489 6.6.3 step 6, RFC 9989 4.7, 4.10.1)."""
        has_rua = bool(self.tags.get("rua"))
        if self.bad_policies:
            what = " and ".join(self.bad_policies)
            verb = "is not" if len(self.bad_policies) == 1 else "are not"
            if has_rua:
                consequence = "receivers read the record as p=none, as it has a valid rua="
            else:
                consequence = "with no valid rua= either, receivers apply no DMARC policy"
            if all(item.startswith("np=") for item in self.bad_policies) and "p" in self.tags:
                # RFC 7489 has no np: its receivers ignore the tag and keep p.
                consequence += (
                    f" (RFC 9989 4.10.1; RFC 7489 receivers ignore np and apply p={self.tags['p']})"
                )
            self.problems.append(f"{what} {verb} none, quarantine or reject: {consequence}")
        elif "p" not in self.tags:
            if has_rua:
                self.warnings.append(
                    "no p= tag: receivers read it as p=none (RFC 9989 4.7; RFC 7489 requires p)"
                )
            else:
                self.problems.append("no p= tag and no valid rua=: receivers apply no DMARC policy")
        if self.tags.get("t") == "y" and self.tags.get("p") in ("quarantine", "reject"):
            lower = {"quarantine": "none", "reject": "quarantine"}[self.tags["p"]]
            self.warnings.append(
                f"t=y (testing): RFC 9989 receivers apply {lower} instead of {self.tags['p']} to failing mail"
            )
