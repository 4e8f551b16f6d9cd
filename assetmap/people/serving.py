"""Who may serve a workspace, where, and whether anyone is an administrator without signing in.

A workspace with user accounts is served to a network: everyone signs in (or,
as a participant, joins a session with a code). A workspace *without*
accounts can only be opened in **local mode**: one person on their own
computer, every page open to them as an administrator. Local mode is an
explicit choice (``assetmap app WORKSPACE --local``) and only on a loopback
address that no other device can reach (exactly ``127.0.0.1`` or ``::1``; not
``127.0.0.2``, which tests use to stand for the room's network, and never
``0.0.0.0`` or a LAN address).

The launcher (:func:`check_serving`) refuses any other combination with one
line, and records the grant in the server's environment (:data:`LOCAL_ENV`);
the app asks :func:`local_mode` on every run, with the address its server
really listens on, so a grant cannot outlive the first account or follow the
app onto another address.

Examples
--------
>>> local_mode(granted="127.0.0.1", server_address="127.0.0.1", has_accounts=False)
True
>>> local_mode(granted="127.0.0.1", server_address="0.0.0.0", has_accounts=False)
False
>>> local_mode(granted="127.0.0.1", server_address="127.0.0.1", has_accounts=True)
False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from assetmap.access import Principal, Role
from assetmap.errors import AccessDeniedError, AssetMapError

__all__ = [
    "LOCAL_ADDRESSES",
    "LOCAL_ADMIN_ID",
    "LOCAL_ENV",
    "ServeRefusedError",
    "allowed_hosts",
    "check_serving",
    "local_facilitator",
    "local_mode",
    "streamlit_server_options",
]

#: The only addresses local mode may listen on: this computer, no one else's.
LOCAL_ADDRESSES: Final = frozenset({"127.0.0.1", "::1"})
#: Environment variable ``assetmap app --local`` sets to the address it serves on.
LOCAL_ENV: Final = "ASSETMAP_LOCAL_ADDRESS"
#: The user id of whoever runs a workspace without accounts in local mode.
LOCAL_ADMIN_ID: Final = "local-admin"
#: The user id that person runs a mapping session as.
LOCAL_FACILITATOR_ID: Final = "local-facilitator"
_ANY_ADDRESS: Final = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (named to be refused)


class ServeRefusedError(AssetMapError):
    """The workspace may not be served this way (no accounts, or ``--local`` off loopback)."""


def _first_admin(workspace: str) -> str:
    return f"`assetmap user add {workspace} NAME --role admin`"


def check_serving(address: str, *, local: bool, has_accounts: bool, workspace: str) -> None:
    """Refuse to serve ``workspace`` on ``address`` unless it is safe; one line says why.

    Parameters
    ----------
    address
        The address the server will listen on.
    local
        Whether local mode was asked for (``--local``).
    has_accounts
        Whether the workspace has any user account.
    workspace
        The workspace as the user typed it (for the message).

    Raises
    ------
    ServeRefusedError
        ``--local`` on anything but 127.0.0.1 or ::1, or on a workspace with
        accounts; a workspace without accounts served without ``--local``.

    Examples
    --------
    >>> check_serving("0.0.0.0", local=False, has_accounts=True, workspace="ws")
    >>> check_serving("lan", local=False, has_accounts=False, workspace="ws")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    assetmap.people.serving.ServeRefusedError: ws has no user accounts, so it cannot be served ...
    """
    if local and address not in LOCAL_ADDRESSES:
        msg = (
            f"--local is for one person on this computer: it needs --address 127.0.0.1 "
            f"or ::1, not {address!r}; to serve a network, add accounts "
            f"({_first_admin(workspace)}) and leave out --local."
        )
        raise ServeRefusedError(msg)
    if local and has_accounts:
        msg = f"{workspace} has user accounts, so everyone signs in: serve it without --local."
        raise ServeRefusedError(msg)
    if not local and not has_accounts:
        msg = (
            f"{workspace} has no user accounts, so it cannot be served on {address}: add the "
            f"first administrator with {_first_admin(workspace)} (or use --local with "
            f"--address 127.0.0.1 to work alone on this computer)."
        )
        raise ServeRefusedError(msg)


def local_mode(*, granted: str | None, server_address: str | None, has_accounts: bool) -> bool:
    """Return whether the person at this server is its local administrator.

    True only when the launcher granted local mode (``granted``: the address
    it put in :data:`LOCAL_ENV`), the server really listens on that very
    loopback address, and the workspace still has no accounts.

    Parameters
    ----------
    granted
        The value of :data:`LOCAL_ENV` (None when unset).
    server_address
        The address the running server listens on (Streamlit's
        ``server.address``; None or empty means every address).
    has_accounts
        Whether the workspace has any user account.
    """
    if has_accounts or not granted or granted not in LOCAL_ADDRESSES:
        return False
    return server_address == granted


def allowed_hosts(address: str, names: Iterable[str] = ()) -> tuple[str, ...]:
    """Return the ``Host`` names the server accepts (a DNS-rebinding page sends another).

    A loopback server accepts its address and ``localhost``; a server on one
    address accepts that address; ``names`` adds the names people type (for a
    server on every address, ``0.0.0.0``, those are the only names accepted,
    and without any Streamlit accepts every name: pass them).

    Examples
    --------
    >>> allowed_hosts("127.0.0.1")
    ('127.0.0.1', 'localhost')
    >>> allowed_hosts("0.0.0.0", ["mapping.local"])
    ('mapping.local',)
    """
    hosts: list[str] = []
    if address not in _ANY_ADDRESS:
        hosts.append(address)
    if address.startswith("127.") or address == "::1":
        hosts.append("localhost")
    hosts.extend(name.strip().lower() for name in names if name.strip())
    return tuple(dict.fromkeys(hosts))


def streamlit_server_options(address: str, hosts: Sequence[str]) -> list[str]:
    """Return the ``streamlit run`` options every served app gets (safe defaults, set explicitly).

    XSRF and CORS protection on (explicit, so no config file can turn them
    off), WebSocket ``Host`` checked against ``hosts`` (DNS rebinding),
    uncaught errors shown without type, message or traceback (details go to
    the server's console, never a visitor's screen), no usage statistics.

    Examples
    --------
    >>> options = streamlit_server_options("127.0.0.1", ["127.0.0.1", "localhost"])
    >>> options[options.index("--client.showErrorDetails") + 1]
    'none'
    """
    options = [
        "--server.address", address,
        "--server.headless", "true",
        "--server.enableXsrfProtection", "true",
        "--server.enableCORS", "true",
        "--client.showErrorDetails", "none",
        "--browser.gatherUsageStats", "false",
        "--server.enableStaticServing", "true",  # the offline Leaflet, also from a wheel
    ]  # fmt: skip
    for host in hosts:
        options += ["--server.allowedHosts", host]
    return options


def local_facilitator(principal: Principal) -> Principal:
    """Return the facilitator that the local-mode user runs a mapping session as.

    A workspace without accounts has no facilitator to sign in as; whoever
    runs it on this computer (:data:`LOCAL_ADMIN_ID`) may run a session from
    it. Anyone else signs in as a facilitator instead.

    Raises
    ------
    AccessDeniedError
        If ``principal`` is not the local-mode user.

    Examples
    --------
    >>> local_facilitator(Principal(LOCAL_ADMIN_ID, Role.ADMIN)).role
    <Role.FACILITATOR: 'facilitator'>
    >>> local_facilitator(Principal("sam", Role.STAFF))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    assetmap.errors.AccessDeniedError: Only whoever runs a workspace without accounts ...
    """
    if principal.user_id != LOCAL_ADMIN_ID:
        msg = (
            "Only whoever runs a workspace without accounts on this computer can run a "
            "session from it; sign in as a facilitator."
        )
        raise AccessDeniedError(msg)
    return Principal(LOCAL_FACILITATOR_ID, Role.FACILITATOR, label="Facilitator (this computer)")
