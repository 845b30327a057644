"""Login rate limits, in memory: per client address and per user name, over a sliding window.

These sit in front of the password check (argon2 is deliberately slow: an unlimited login endpoint is a
cheap way to burn the server's CPU) and beside ``UserBook``'s lockout, which stops the guessing of one
account's password from many addresses. In memory is enough for one process (limits reset on restart);
several web nodes share them through the operational store (``StoreLoginLimiter``, chosen by
``[web] login_limits = "store"``).

The client address is the connection's, except from the proxies named in ``CHISO_TRUSTED_PROXIES``
(comma-separated addresses or networks; none by default), whose ``X-Forwarded-For`` names the real client
(``chiso.web.app``). From anyone else the header is ignored: a client cannot pick its own address.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chiso.store.users import UserBook

PER_ADDRESS = 10  # attempts per window from one client address
PER_USERNAME = 10  # attempts per window at one user name, from anywhere
WINDOW = 60.0  # seconds


class SlidingWindow:
    """At most ``limit`` hits per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def _live(self, key: str, t: float) -> deque[float]:
        q = self._hits.get(key)
        if q is None:
            return deque()
        while q and q[0] <= t - self.window:
            q.popleft()
        if not q:
            del self._hits[key]
        return q

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        t = self.clock()
        q = self._live(key, t)
        return 0.0 if len(q) < self.limit else max(q[0] + self.window - t, 0.001)

    def record(self, key: str) -> None:
        t = self.clock()
        q = self._live(key, t)
        if not q:
            self._hits[key] = q
        q.append(t)
        self._hits.move_to_end(key)
        while len(self._hits) > self.max_keys:  # bound the memory an attacker spraying names can take
            self._hits.popitem(last=False)


class LoginLimiter:
    """Both limits together: an attempt counts against both only when both allow it."""

    def __init__(self, per_address: int = PER_ADDRESS, per_username: int = PER_USERNAME, window: float = WINDOW,
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        self.by_address = SlidingWindow(per_address, window, clock=clock)
        self.by_username = SlidingWindow(per_username, window, clock=clock)
        self._lock = threading.Lock()

    def attempt(self, address: str, username: str) -> int:
        """Record a login attempt; 0 when it may go ahead, else whole seconds to wait (for Retry-After)."""
        name = username.strip().lower()
        with self._lock:
            wait = max(self.by_address.wait(address), self.by_username.wait(name))
            if wait > 0:
                return max(1, math.ceil(wait))
            self.by_address.record(address)
            self.by_username.record(name)
            return 0


class StoreLoginLimiter:
    """The same limits kept in the operational store, so that every web node over it counts every attempt
    (docs/deploy.md). The clock is the wall clock: one for every node."""

    def __init__(self, book: UserBook, per_address: int = PER_ADDRESS, per_username: int = PER_USERNAME,
                 window: float = WINDOW, *, clock: Callable[[], float] = time.time) -> None:
        self.book, self.window, self.clock = book, window, clock
        self.per_address, self.per_username = per_address, per_username

    def attempt(self, address: str, username: str) -> int:
        """As ``LoginLimiter.attempt``."""
        keys = {f"a:{address}"[:300]: self.per_address, f"u:{username.strip().lower()}"[:300]: self.per_username}
        wait = self.book.attempt_login(keys, self.window, self.clock())
        return 0 if wait <= 0 else max(1, math.ceil(wait))
