"""The Public Suffix List's own test file (peers/dmarc/publicsuffix/test_psl.txt) against `registrable_domain`.

RFC 7489 discovery takes the organizational domain from the PSL copy that
publicsuffixlist ships, through `registrable_domain`. Each active line
`checkPublicSuffix(input, expected)` becomes one case; the commented-out lines
(`local`, a listed but non-Internet TLD) are not cases of the file either.

How the file's conventions meet ours:
- names reach the engine lower case and as A-labels, so input and expected are
  compared in that form (`食狮.公司.cn` is `xn--85x722f.xn--55qx5d.cn`);
- `null` expected means "no registrable domain": `registrable_domain` then
  returns the name itself (its documented fallback), and `normalize_domain`
  refuses it as a customer's domain, so the engine never probes it;
- `null` input is the empty name.

SOURCES.md: the mainline file expects `city.kobe.jp -> city.kobe.jp` (the
`!city.kobe.jp` exception to `*.kobe.jp`); an unmerged pull request's copy
expects `kobe.jp`. The mainline file is the one here, and the list shipped
with publicsuffixlist agrees with it.
"""

from __future__ import annotations

import idna
import pytest

from tests.probe.dmarc_peer_vectors import MISSING, PEERS, psl_cases
from tracker.probe.domains import DomainNameError, normalize_domain, registrable_domain

if PEERS is None:
    pytest.skip(MISSING, allow_module_level=True)


def a_labels(name: str) -> str:
    """The name as the engine holds it: lower case, each label an A-label (empty labels kept)."""
    return ".".join(
        label if label.isascii() else idna.encode(label, uts46=True).decode()
        for label in name.lower().split(".")
    )


@pytest.mark.parametrize("given,expected", psl_cases(), ids=[f"{g}->{e}" for g, e in psl_cases()])
def test_psl_vector(given: str | None, expected: str | None):
    name = a_labels(given or "")
    if expected is None:
        assert registrable_domain(name) == name
        labels = name.split(".")
        # A well-formed name of two labels or more is refused for being a suffix, not for its form.
        reason = "public suffix" if len(labels) > 1 and "" not in labels else None
        with pytest.raises(DomainNameError, match=reason):
            normalize_domain(name)
    else:
        assert registrable_domain(name) == a_labels(expected)
        assert normalize_domain(name) == name


def test_every_psl_line_is_run():
    cases = psl_cases()
    assert len(cases) == 78
    assert ("city.kobe.jp", "city.kobe.jp") in cases  # the mainline expectation (see above)
