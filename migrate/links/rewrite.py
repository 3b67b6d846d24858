"""The URL rewriting pass: one walk over a page's HTML tree, links and media alike.

Placeholder until the resolver lands.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class PageLinks:
    """What one page's URLs became."""

    counts: Counter = field(default_factory=Counter)
    notices: list[str] = field(default_factory=list)
