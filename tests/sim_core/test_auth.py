"""Users, privileges, passwords kept secret, sessions with idle expiry."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from vreconnect_sim.auth import (
    DOCUMENTED_PRIVILEGES,
    PRIV_GLOBAL_VCSERVER,
    PRIV_HOST_CONFIG_CONNECTION,
    PRIV_STORAGE_VIEWS_CONFIGURE,
    PRIV_VR_MANAGE,
    SessionStore,
    UserDirectory,
    UserSpec,
)
from vreconnect_sim.clock import FakeClock


def test_default_users_and_privileges() -> None:
    users = UserDirectory()
    admin = users.get("Administrator@vsphere.local")
    ro = users.get("readonly@vsphere.local")
    assert admin is not None and ro is not None
    assert all(admin.has(p) for p in DOCUMENTED_PRIVILEGES) and admin.has("Anything.Else")
    assert ro.has("System.View") and not any(ro.has(p) for p in DOCUMENTED_PRIVILEGES)
    lacking = {
        "no-host-config@vsphere.local": PRIV_HOST_CONFIG_CONNECTION,
        "no-storage-views@vsphere.local": PRIV_STORAGE_VIEWS_CONFIGURE,
        "no-vcserver@vsphere.local": PRIV_GLOBAL_VCSERVER,
        "no-vr-manage@vsphere.local": PRIV_VR_MANAGE,
    }
    for name, missing in lacking.items():
        user = users.get(name)
        assert user is not None
        assert [p for p in DOCUMENTED_PRIVILEGES if not user.has(p)] == [missing]


def test_authenticate_and_password_never_shown() -> None:
    users = UserDirectory(
        [
            UserSpec(name="u@x", password=SecretStr("s3cret-PW")),
            UserSpec(name="ro", role="readonly"),
        ]
    )
    assert users.authenticate("u@x", "wrong") is None
    assert users.authenticate("nobody", "s3cret-PW") is None
    user = users.authenticate("U@X", "s3cret-PW")
    assert user is not None
    assert users.authenticate("ro", "VMware1!") is not None  # default password
    for text in (
        repr(user),
        str(user),
        repr(UserSpec(name="u", password=SecretStr("s3cret-PW"))),
        UserSpec(name="u", password=SecretStr("s3cret-PW")).model_dump_json(),
    ):
        assert "s3cret-PW" not in text


def test_session_create_lookup_logout() -> None:
    clock = FakeClock()
    users = UserDirectory()
    store = SessionStore("vim25", clock, idle_timeout=60)
    admin = users.get("administrator@vsphere.local")
    assert admin is not None
    s = store.create(admin, key="abc")
    assert len(s.token) == 40 and s.token not in repr(s)
    assert store.lookup(s.token) is s and s.data == {"key": "abc"}
    assert store.lookup("other") is None and store.lookup(None) is None
    assert store.invalidate(s.token) and not store.invalidate(s.token)
    assert store.lookup(s.token) is None


def test_session_idle_expiry_on_injected_clock() -> None:
    clock = FakeClock()
    store = SessionStore("rest", clock, idle_timeout=60)
    admin = UserDirectory().get("administrator@vsphere.local")
    assert admin is not None
    kept, dropped = store.create(admin), store.create(admin)
    clock.advance(50)
    assert store.lookup(kept.token) is kept  # use refreshes the idle timer
    clock.advance(50)
    assert store.lookup(kept.token) is kept
    assert store.lookup(dropped.token) is None
    clock.advance(61)
    assert store.lookup(kept.token) is None
    assert store.active() == []


@pytest.mark.parametrize("name", ["administrator@vsphere.local", "readonly@vsphere.local"])
def test_invalidate_user(name: str) -> None:
    store = SessionStore("vr", FakeClock())
    users = UserDirectory()
    user = users.get(name)
    assert user is not None
    store.create(user)
    store.create(user)
    assert store.invalidate_user(name.upper()) == 2 and len(store) == 0
