"""Shared settings and strategies of the hostile-input suite.

Profiles (``HYPOTHESIS_PROFILE``):

* ``ci`` (default): derandomised (a fixed seed), a few dozen examples per
  test, so the whole suite stays well under a minute;
* ``long``: random seeds and 25 times the examples, for a soak run.
"""

from __future__ import annotations

import os
from typing import Final

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PROFILE: Final = os.environ.get("HYPOTHESIS_PROFILE", "ci")
_FACTOR: Final = 25 if PROFILE == "long" else 1

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    derandomize=False,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
if PROFILE not in {"ci", "long"}:
    msg = f"HYPOTHESIS_PROFILE must be 'ci' or 'long', got {PROFILE!r}."
    raise ValueError(msg)


def hostile(examples: int) -> settings:
    """Settings for one property test: ``examples`` in CI, 25 times that in the long run."""
    return settings(settings.get_profile(PROFILE), max_examples=examples * _FACTOR)


#: Strings people have put into forms to break things.
PAYLOADS: Final = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example","x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "'; DROP TABLE assets; --",
    "../../etc/passwd",
    "\x00",
    "\ufeff",
    "\u202e",
    "💥" * 50,
    "a" * 20_000,
    "NaN",
    "Infinity",
    "-0",
    "1e309",
    "",
    " ",
    "\r\n",
    '"',
    "null",
)

hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
)
