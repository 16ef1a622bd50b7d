"""Settings for the whole suite.

Property tests explore new random examples on every developer run; under CI (``CI=true``)
they replay a fixed sequence, so a landing is never decided by the luck of one draw. A failure
found locally is kept in ``.hypothesis/`` and replayed first until it is fixed.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
