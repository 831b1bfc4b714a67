"""Remote facades (platform/lifting): a context's facade function called over HTTP answers what the
same function answers in process, raises the same public exceptions, and a callee that is down,
slow or answers nothing useful gives the caller a clear 503 — retried only where a retry cannot
do anything twice. The callee here is the real RPC endpoint served by a live server."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import httpx
import pytest

from conectar.auth_ctx import facade as accounts
from conectar.auth_ctx.contracts import NewAccount, Role
from conectar.marketplace import facade as marketplace
from conectar.notifications import facade as notifications
from conectar.notifications.contracts import UnknownRecipient
from conectar.platform import breakers
from conectar.platform.lifting.client import ContextUnavailable, call_remote
from conectar.platform.lifting.facades import FacadeFunction, local_function
from conectar.platform.lifting.wire import path_for
from conectar.platform.service_auth import service_request_headers
from conectar.shared.errors import NotFound

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

GATEWAY_KEY = "gateway-key-for-the-remote-facade-tests"


@pytest.fixture(autouse=True)
def signed(settings):
    settings.INTERNAL_SERVICE_KEYS = [f"gateway:{GATEWAY_KEY}"]
    settings.SERVICE_NAME = "gateway"
    settings.REMOTE_FACADES = {**settings.REMOTE_FACADES, "RETRY_BACKOFF_SECONDS": 0.01, "TIMEOUT_SECONDS": 1.0}
    breakers.reset_all()
    yield
    breakers.reset_all()


def remote(context: str, name: str, **kwargs):
    """`<context>.facade.<name>(**kwargs)`, as a process that does not run `context` calls it."""
    declared = local_function(context, name)
    assert declared is not None, f"{context}.facade.{name} is not a declared facade function"
    return call_remote(declared, kwargs)


@pytest.fixture
def lifted(live_server, settings):
    """Every context answers at the live server, as if it ran in another process."""
    settings.REMOTE_CONTEXTS = dict.fromkeys(settings.CONTEXTS_HERE, live_server.url)
    return live_server.url


def people(n: int) -> list[NewAccount]:
    return [
        NewAccount(email=f"remote-{uuid.uuid4().hex[:8]}@example.com", nombre="Ana", apellido="Díaz", role=Role.CLIENTE)
        for _ in range(n)
    ]


def test_a_remote_call_answers_what_the_local_call_answers(lifted):
    seeded = remote("auth_ctx", "seed_accounts", people=people(2), password="una-clave-larga-123")
    assert [created for _, created in seeded] == [True, True]
    ids = [account.id for account, _ in seeded]

    over_http = remote("auth_ctx", "get_accounts", user_ids=ids)
    in_process = accounts.get_accounts(user_ids=ids)
    assert over_http == in_process  # dict[UUID, AccountDTO]: keys, nested DTOs, datetimes, enums
    assert remote("auth_ctx", "get_account", user_id=uuid.uuid4()) is None
    standing = remote("marketplace", "chat_standings", user_ids=ids)
    assert standing == marketplace.chat_standings(user_ids=ids)


def test_public_exceptions_are_raised_again_on_the_callers_side(lifted):
    with pytest.raises(UnknownRecipient) as raised:
        remote("notifications", "notify", user_id=uuid.uuid4(), template="bienvenida", data={})
    with pytest.raises(UnknownRecipient) as local:
        notifications.notify(user_id=uuid.uuid4(), template="bienvenida", data={})
    assert (raised.value.code, raised.value.detail, raised.value.status) == (
        local.value.code,
        local.value.detail,
        local.value.status,
    )
    with pytest.raises(NotFound, match="No encontramos ese trabajo"):
        remote("marketplace", "act_on_trabajo", trabajo_id=uuid.uuid4(), action="entregar", actor_id=uuid.uuid4())


def test_a_wrong_argument_fails_before_anything_is_sent(lifted):
    with pytest.raises(TypeError):
        remote("auth_ctx", "get_account", usuario_id=uuid.uuid4())


def test_the_endpoint_takes_only_signed_calls_and_never_the_same_one_twice(lifted):
    path = path_for("auth_ctx", "get_account")
    body = b'{"nonce":"n-1","kwargs":{"user_id":"%s"}}' % str(uuid.uuid4()).encode()
    unsigned = httpx.post(lifted + path, content=body)
    assert unsigned.status_code == 401
    headers = service_request_headers(name="gateway", key=GATEWAY_KEY, method="POST", full_path=path, body=body)
    first = httpx.post(lifted + path, content=body, headers=headers)
    replay = httpx.post(lifted + path, content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"result": None}
    assert replay.status_code == 401
    assert "ya fue usada" in replay.json()["error"]["detail"]


def test_only_declared_facade_functions_are_served(lifted):
    path = path_for("auth_ctx", "selectors")
    body = b'{"nonce":"n-2","kwargs":{}}'
    headers = service_request_headers(name="gateway", key=GATEWAY_KEY, method="POST", full_path=path, body=body)
    assert httpx.post(lifted + path, content=body, headers=headers).status_code == 404


class CountingServer:
    """A TCP server on 127.0.0.1 that counts connections and then does `behaviour` with each:
    'close' hangs up at once (the request was sent, no answer), 'hang' never answers."""

    def __init__(self, behaviour: str):
        self.behaviour = behaviour
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.recv(65536)
            if self.behaviour == "close":
                conn.close()
            else:
                self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def server(request, settings):
    found = CountingServer(request.param)
    settings.REMOTE_CONTEXTS = {"auth_ctx": found.url, "marketplace": found.url}
    yield found
    found.close()


@pytest.mark.parametrize("server", ["close"], indirect=True)
def test_a_lost_answer_is_retried_only_for_idempotent_functions(server, settings):
    with pytest.raises(ContextUnavailable) as raised:
        remote("auth_ctx", "get_account", user_id=uuid.uuid4())  # idempotent: a read
    assert raised.value.status == 503
    assert server.connections == 1 + settings.REMOTE_FACADES["RETRIES"]

    before = server.connections
    with pytest.raises(ContextUnavailable):  # not idempotent: a second try could send two messages
        remote("marketplace", "send_message", chat_id=uuid.uuid4(), sender_id=uuid.uuid4(), text="hola")
    assert server.connections == before + 1


@pytest.mark.parametrize("server", ["hang"], indirect=True)
def test_a_callee_that_never_answers_times_out(server, settings):
    settings.REMOTE_FACADES = {**settings.REMOTE_FACADES, "TIMEOUT_SECONDS": 0.3}
    started = time.monotonic()
    with pytest.raises(ContextUnavailable, match="no responde"):
        remote("marketplace", "post_system_message", chat_id=uuid.uuid4(), text="x")
    assert server.connections == 1
    assert time.monotonic() - started < 5  # bounded by the timeout, not by the callee


def test_a_stopped_service_opens_the_breaker_and_calls_fail_fast(settings):
    closed = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()  # nothing listens there any more: connection refused
    settings.REMOTE_CONTEXTS = {"auth_ctx": url}
    fail_max = breakers.breaker("facade.auth_ctx").fail_max
    for _ in range(fail_max):
        with pytest.raises(ContextUnavailable):
            remote("auth_ctx", "get_account", user_id=uuid.uuid4())
    with pytest.raises(ContextUnavailable, match="circuit open"):
        remote("auth_ctx", "get_account", user_id=uuid.uuid4())


def test_declaring_a_positional_parameter_is_refused():
    from conectar.platform.lifting.facades import Facade

    with pytest.raises(TypeError, match="keyword-only"):

        @Facade("users").function(idempotent=True)
        def by_position(user_id): ...


def test_every_facade_function_is_declared_with_keyword_only_contract_types():
    """Every public function of every facade goes through the declaration (so it can be lifted), and
    its types resolve from contracts and the standard library alone."""
    import importlib
    import inspect

    from django.conf import settings

    for context in settings.CONTEXTS_HERE:
        module = importlib.import_module(f"conectar.{context}.facade")
        for name, func in vars(module).items():
            if inspect.isfunction(func) and func.__module__ == module.__name__ and not name.startswith("_"):
                declared = local_function(context, name)
                assert declared is not None, f"{context}.facade.{name} is not declared with @context.function"
                assert isinstance(declared, FacadeFunction)
                assert "return" in declared.hints, f"{context}.facade.{name} has no return type"
