"""Who initiated each connection: decide which logged endpoint becomes ``src`` (the initiator).

* A Built's direction says it (``orientation="logged"``): inbound, the first (``for``/``faddr``)
  endpoint initiated; outbound, the second (``to``/``laddr``) one (domain.md §A1 item 10).
* A Teardown carries no direction: it takes its Built's (same device and connection id, anywhere in
  the loaded data; ``"built"``). Its endpoints are matched to the Built's by port, so a legacy
  ``faddr/laddr`` teardown pairs with a ``for/to`` Built.
* Otherwise the endpoint on the lower port is taken as the server, i.e. the responder
  (``"port"``): service ports are well-known or registered, client ports ephemeral.
"""

from __future__ import annotations

import numpy as np

from .schema import ORIENTATIONS

LOGGED, BUILT, PORT = (ORIENTATIONS.index(x) for x in ("logged", "built", "port"))


def orient(is_built: np.ndarray, device: np.ndarray, conn: np.ndarray, conn_ok: np.ndarray,
           first_initiated: np.ndarray, port1: np.ndarray, port2: np.ndarray,
           ) -> tuple[np.ndarray, np.ndarray]:
    """Return (first endpoint is the initiator, orientation code) per row.

    ``first_initiated`` is 1/0 where a Built logged its direction, -1 elsewhere; ``conn`` holds
    numeric connection ids (uint64) where ``conn_ok``.
    """
    logged = is_built & (first_initiated >= 0)
    # the lower port answers where no Built logged its direction
    first_is_src = np.where(logged, first_initiated == 1, port1 >= port2)
    orientation = np.where(logged, np.int8(LOGGED), np.int8(PORT))

    builts = np.flatnonzero(logged & conn_ok)
    teardowns = np.flatnonzero(~is_built & conn_ok)
    one_device = not len(device) or device.min() == device.max()
    for code in np.unique(device[teardowns]):
        if one_device:  # no need to pick the device's rows
            b, t = builts, teardowns
        else:
            b = builts[device[builts] == code]
            t = teardowns[device[teardowns] == code]
        if not len(b) or not len(t):
            continue
        b = b[np.argsort(conn[b], kind="stable")]
        at = np.minimum(np.searchsorted(conn[b], conn[t]), len(b) - 1)
        found = conn[b[at]] == conn[t]
        t, match = t[found], b[at[found]]
        src_port = np.where(first_is_src[match], port1[match], port2[match])
        dst_port = np.where(first_is_src[match], port2[match], port1[match])
        same = (port1[t] == src_port) & (port2[t] == dst_port)
        swapped = (port2[t] == src_port) & (port1[t] == dst_port)
        first_is_src[t] = np.where(same != swapped, same, first_is_src[match])
        orientation[t] = BUILT
    return first_is_src, orientation
