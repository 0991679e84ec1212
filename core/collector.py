"""The garbage collector of a long-lived server process (a gunicorn worker, a daphne process).

``server_process_warmed()`` is called once the process has loaded what it keeps for its whole
life (Django, the apps, the URL confs, a warmed worker's connections):

- ``gc.freeze()`` moves those objects out of the collector's reach, so a full collection walks
  only what requests, sockets and events create since;
- full collections become ten times rarer (``FULL_COLLECTION_AFTER`` collections of the middle
  generation between two, where CPython's default is 10). A full collection walks every object
  the process tracks and lands inside whichever request allocates at that moment: with the
  default, about one inbox request in 60-80 paid one (tens of milliseconds on a loaded machine;
  docs/performance.md, "The collector of the server processes"). Cycles among young objects,
  the common garbage of a request, are still freed by the collections of the first two
  generations, which keep CPython's thresholds; gunicorn replaces a worker every 5,000-7,500
  requests (``max_requests``) anyway.
"""

from __future__ import annotations

import gc

FULL_COLLECTION_AFTER = 100


def server_process_warmed() -> None:
    """Freeze what the process loaded so far and make full collections rarer."""
    gc.collect()
    gc.freeze()
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)
