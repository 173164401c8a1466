"""hss.Client against the emulator: success byte for byte, configuration, lifetime."""

import copy
import pathlib
import pickle
import threading
import time

import pytest
from hss_testsupport import AK, GOOD, SK, TOKEN, expected_image_command

import hss

HOSTILE = [
    pytest.param({"registry_addr": "myharbor.com:443", "namespace": "ns 1~/é", "username": "admin",
                  "password": "p@ss+w/rd=&"}, id="docs-vector"),
    pytest.param({"registry_addr": "[2001:db8::1]:5000", "namespace": "命名空间", "username": "用户😀",
                  "password": "%41%%+ &=/~?#", "enterprise_project_id": "all_granted_eps"}, id="unicode"),
    pytest.param({"registry_addr": "reg.example.com", "namespace": "e\u0301 a\u0308",
                  "username": " lead & trail ", "password": "".join(chr(c) for c in range(0x20, 0x7F)),
                  "enterprise_project_id": " &=+%/~ é "}, id="all-printable-ascii"),
    pytest.param({"registry_addr": "r" * 256, "namespace": "é" * 128, "username": "中" * 128,
                  "password": "🔑" * 128, "enterprise_project_id": "项" * 256}, id="max-lengths"),
    pytest.param({"registry_addr": "a", "namespace": "b", "username": "c", "password": "d"}, id="min-lengths"),
    pytest.param({"registry_addr": "h", "namespace": "%2F%25", "username": "+", "password": "a+b c%20d"},
                 id="already-encoded"),
]


def _call(client, params):
    return client.get_image_upload_command(**params)


def _recorded_for(emulator, params):
    """The emulator's decoded view of the request carrying these parameters."""
    for rec in reversed(emulator.params):
        if rec["username"] == params["username"] and rec["password"] == params["password"]:
            return rec
    raise AssertionError("the emulator saw no such request")


@pytest.mark.parametrize("params", HOSTILE)
@pytest.mark.parametrize("auth", ["aksk", "token"])
def test_hostile_values_round_trip_byte_for_byte(make_client, http_emulator, params, auth):
    client = make_client(auth_token=TOKEN) if auth == "token" else make_client()
    result = _call(client, params)

    assert isinstance(result, hss.ImageUploadCommand)
    # What the service received, decoded, is exactly what was passed ...
    seen = _recorded_for(http_emulator, params)
    for name in ("registry_addr", "namespace", "username", "password"):
        assert seen[name].encode("utf-8") == params[name].encode("utf-8"), name
    assert seen["enterprise_project_id"] == params.get("enterprise_project_id")
    assert seen["project_id"] == "proj-python"
    # ... and the answer comes back byte for byte.
    assert result.image_command.encode("utf-8") == expected_image_command(**params).encode("utf-8")
    assert result.images_download_url == "https://hss-emulator.invalid/images/hss-scanner.zip"
    assert result.swr_image_pull_command == "docker pull swr.emulator.invalid/hss/hss-scanner:latest"
    # The values parsed back out of image_command.
    head, _, tail = result.image_command.partition(" && docker load -i hss-scanner.tar && docker push ")
    assert tail == "%s/%s/hss-scanner" % (params["registry_addr"], params["namespace"])
    assert head == "docker login -u %s -p %s %s" % (params["username"], params["password"],
                                                     params["registry_addr"])


def test_security_token_and_user_agent_suffix(make_client, http_emulator):
    client = make_client(security_token="temporary-token-123", user_agent_suffix="tests/1.0 (python)")
    result = client.get_image_upload_command(**GOOD)
    assert result.image_command == expected_image_command(**GOOD)


def test_https_with_ca_file_as_path(https_emulator):
    with hss.Client(endpoint=https_emulator.endpoint, project_id="proj-tls", ak=AK, sk=SK,
                    ca_file=pathlib.Path(https_emulator.ca_file)) as client:
        assert client.get_image_upload_command(**GOOD).image_command == expected_image_command(**GOOD)


def test_result_is_immutable_and_plain_data(client):
    result = client.get_image_upload_command(**GOOD)
    with pytest.raises(AttributeError):
        result.image_command = "x"
    with pytest.raises(AttributeError):
        del result.images_download_url
    with pytest.raises(AttributeError):
        result.extra = 1
    assert not hasattr(result, "__dict__")
    assert pickle.loads(pickle.dumps(result)) == result
    assert hash(result) == hash(copy.copy(result))
    assert hss.ImageUploadCommand.__match_args__ == ("image_command", "images_download_url",
                                                     "swr_image_pull_command")
    assert all(isinstance(getattr(result, f), str)
               for f in ("image_command", "images_download_url", "swr_image_pull_command"))
    assert result == client.get_image_upload_command(**GOOD)
    text = repr(result)
    assert text == str(result)
    assert GOOD["password"] not in text and "docker" not in text
    # Nothing derived from a secret either: image_command's length would give the password's.
    assert "image_command=<hidden>" in text and "swr_image_pull_command=<hidden>" in text
    assert str(len(result.image_command)) not in text and "chars" not in text
    assert "https://hss-emulator.invalid/images/hss-scanner.zip" in text


def test_result_repr_hides_a_presigned_url_query():
    result = hss.ImageUploadCommand("docker login -p x", "https://obs.example.com/b.zip?Signature=abc&X=1",
                                    "docker pull y")
    assert "Signature" not in repr(result) and "abc" not in repr(result)
    assert "https://obs.example.com/b.zip?<hidden>" in repr(result)


# ------------------------------------------------------------------ configuration

def test_region_selects_the_known_endpoint_without_traffic():
    with hss.Client(region="cn-north-4", project_id="0123456789abcdef", ak=AK, sk=SK) as client:
        assert "region='cn-north-4'" in repr(client)
    with pytest.raises(hss.InvalidArgumentError, match="region"):
        hss.Client(region="mars-north-1", project_id="p", ak=AK, sk=SK)


@pytest.mark.parametrize("kwargs, field", [
    ({}, "region or endpoint"),
    ({"endpoint": "ftp://127.0.0.1:1"}, "endpoint"),
    ({"endpoint": "https://user:pw@127.0.0.1"}, "endpoint"),
    ({"endpoint": "https://127.0.0.1/path"}, "endpoint"),
    ({"project_id": "a/b"}, "project_id"),
    ({"sk": None}, "sk"),
    ({"auth_token": TOKEN}, "not both"),
    ({"ak": None, "sk": None, "auth_token": TOKEN, "security_token": "t"}, "security_token"),
    ({"ak": "A,K"}, "ak"),
    ({"timeout": 3601}, "timeout"),
    ({"connect_timeout": 3601}, "connect_timeout"),
    ({"timeout": 0}, "timeout"),
    ({"timeout": -1}, "timeout"),
    ({"timeout": float("nan")}, "timeout"),
    ({"connect_timeout": float("inf")}, "connect_timeout"),
    ({"ca_file": "/nonexistent/ca.pem"}, "ca_file"),
    ({"ca_file": ""}, "ca_file"),
    ({"user_agent_suffix": "bad\r\nX-Injected: 1"}, "user_agent_suffix"),
    ({"region": "cn-north-4\x00"}, "region"),
    ({"sk": "\ud800"}, "sk"),
])
def test_invalid_configuration(http_emulator, kwargs, field):
    base = {"endpoint": http_emulator.endpoint, "project_id": "p", "ak": AK, "sk": SK}
    if "endpoint" not in kwargs and "region" not in kwargs and not kwargs:
        base.pop("endpoint")
    if "region" in kwargs:
        base.pop("endpoint")
    base.update(kwargs)
    with pytest.raises(hss.InvalidArgumentError) as info:
        hss.Client(**{k: v for k, v in base.items() if v is not None})
    assert field in str(info.value)
    assert isinstance(info.value, ValueError)
    assert info.value.status is hss.Status.INVALID_ARGUMENT


@pytest.mark.parametrize("kwargs", [
    {"project_id": 123}, {"sk": b"EMULATORSK"}, {"timeout": "5"}, {"timeout": True}, {"ca_file": 3},
])
def test_wrong_types_raise_type_error(http_emulator, kwargs):
    base = {"endpoint": http_emulator.endpoint, "project_id": "p", "ak": AK, "sk": SK}
    base.update(kwargs)
    with pytest.raises(TypeError):
        hss.Client(**base)


def test_positional_arguments_are_refused(http_emulator):
    with pytest.raises(TypeError):
        hss.Client("cn-north-4")  # type: ignore[misc]


def test_timeouts_are_seconds(make_client, told):
    client = make_client(timeout=0.25, connect_timeout=2)  # fractions are fine
    assert (told[-1]["timeout_ms"], told[-1]["connect_timeout_ms"]) == (250, 2000)
    assert client.get_image_upload_command(**GOOD).image_command == expected_image_command(**GOOD)


@pytest.mark.parametrize("name", ["timeout", "connect_timeout"])
@pytest.mark.parametrize("seconds", [3601, 3600.0001, 10 ** 400, float("inf"), 0, -1, -0.5, float("nan")])
def test_timeout_messages_speak_seconds(http_emulator, name, seconds):
    """The binding's own messages speak the caller's unit, not the C API's milliseconds."""
    with pytest.raises(hss.InvalidArgumentError) as info:
        hss.Client(endpoint=http_emulator.endpoint, project_id="p", ak=AK, sk=SK, **{name: seconds})
    assert str(info.value) == "%s must be more than 0 and at most 3600 seconds" % name
    assert "_ms" not in str(info.value) and "3600000" not in str(info.value)


@pytest.mark.parametrize("name", ["timeout", "connect_timeout"])
def test_timeout_limit_itself_is_accepted(make_client, told, name):
    make_client(**{name: 3600}).close()
    make_client(**{name: 0.0001}).close()
    make_client().close()
    # the limit itself; a fraction of a ms rounded up to 1 ms, not 0 (which is the default's)
    assert [t[name + "_ms"] for t in told] == [3_600_000, 1, 0]


@pytest.fixture
def sdk_env(monkeypatch):
    for name in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "CLOUD_SDK_AK", "CLOUD_SDK_SK",
                 "HUAWEICLOUD_SDK_SECURITY_TOKEN", "HUAWEICLOUD_SDK_PROJECT_ID", "HUAWEICLOUD_SDK_REGION",
                 "HUAWEICLOUD_SDK_ENDPOINT", "HUAWEICLOUD_SDK_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_from_env(sdk_env, http_emulator):
    sdk_env.setenv("HUAWEICLOUD_SDK_AK", AK)
    sdk_env.setenv("HUAWEICLOUD_SDK_SK", SK)
    sdk_env.setenv("HUAWEICLOUD_SDK_PROJECT_ID", "proj-from-env")
    sdk_env.setenv("HUAWEICLOUD_SDK_ENDPOINT", http_emulator.endpoint)
    with hss.Client.from_env() as client:
        params = dict(GOOD, username="from-env-user")
        assert client.get_image_upload_command(**params).image_command == expected_image_command(**params)
        assert http_emulator.params[-1]["project_id"] == "proj-from-env"
        assert "from_env=True" in repr(client)

    # Keywords win over the environment.
    with hss.Client.from_env(project_id="proj-override", timeout=5) as client:
        client.get_image_upload_command(**GOOD)
        assert http_emulator.params[-1]["project_id"] == "proj-override"
    # Credentials given here replace the environment's as a whole.
    with pytest.raises(hss.InvalidArgumentError, match="ak is required"):
        hss.Client.from_env(sk="wrong-sk-value")
    with hss.Client.from_env(ak=AK, sk="wrong-sk-value") as client:
        with pytest.raises(hss.ClientRequestError) as info:
            client.get_image_upload_command(**GOOD)
        assert info.value.status_code == 401


def test_from_env_cloud_sdk_names_and_token(sdk_env, http_emulator):
    sdk_env.setenv("CLOUD_SDK_AK", AK)
    sdk_env.setenv("CLOUD_SDK_SK", SK)
    with hss.Client.from_env(endpoint=http_emulator.endpoint, project_id="p1") as client:
        client.get_image_upload_command(**GOOD)
    echo = http_emulator.echoes[-1]
    assert (echo["project_id"], echo["auth"], echo["access_key"]) == ("p1", "aksk", AK), echo
    sdk_env.delenv("CLOUD_SDK_AK")
    sdk_env.delenv("CLOUD_SDK_SK")
    sdk_env.setenv("HUAWEICLOUD_SDK_AUTH_TOKEN", TOKEN)
    with hss.Client.from_env(endpoint=http_emulator.endpoint, project_id="p2") as client:
        client.get_image_upload_command(**GOOD)
    echo = http_emulator.echoes[-1]
    assert (echo["project_id"], echo["auth"]) == ("p2", "token"), echo


def test_from_env_without_configuration(sdk_env):
    with pytest.raises(hss.InvalidArgumentError, match="region or endpoint"):
        hss.Client.from_env()


# ------------------------------------------------------------------ request validation

@pytest.mark.parametrize("field, value, message", [
    ("registry_addr", "r" * 257, "registry_addr is longer than 256"),
    ("namespace", "é" * 129, "namespace is longer than 128"),
    ("username", "u" * 129, "username is longer than 128"),
    ("password", "🔑" * 129, "password is longer than 128"),
    ("enterprise_project_id", "e" * 257, "enterprise_project_id is longer than 256"),
    ("registry_addr", "", "registry_addr must not be empty"),
    ("password", "", "password must not be empty"),
    ("enterprise_project_id", "", "enterprise_project_id must not be empty"),
    ("namespace", None, "namespace is required"),
    ("password", None, "password is required"),
    ("username", "a\nb", "username must not contain control characters"),
    ("password", "tab\there", "password must not contain control characters"),
    ("password", "del\x7f", "password must not contain control characters"),
    ("password", "nul\x00after", "password must not contain NUL"),
    ("namespace", "nul\x00", "namespace must not contain NUL"),
    ("username", "\udc80", "username is not valid Unicode"),
])
def test_invalid_request_sends_nothing(client, http_emulator, field, value, message):
    before = http_emulator.stats()["requests"]
    with pytest.raises(hss.InvalidArgumentError) as info:
        client.get_image_upload_command(**dict(GOOD, **{field: value}))
    assert message in str(info.value)
    assert info.value.status == hss.Status.INVALID_ARGUMENT and info.value.status_code == 0
    assert http_emulator.stats()["requests"] == before


@pytest.mark.parametrize("field", ["registry_addr", "namespace", "username", "password", "enterprise_project_id"])
def test_request_wrong_type(client, field):
    with pytest.raises(TypeError, match=field):
        client.get_image_upload_command(**dict(GOOD, **{field: b"bytes"}))


def test_request_arguments_are_keyword_only(client):
    with pytest.raises(TypeError):
        client.get_image_upload_command("h", "n", "u", "p")  # type: ignore[misc]


# ------------------------------------------------------------------ lifetime

def test_close_twice_is_harmless(client):
    client.get_image_upload_command(**GOOD)
    client.close()
    client.close()
    assert client.closed


def test_call_after_close_raises_cleanly(client):
    client.close()
    with pytest.raises(hss.ClientClosedError) as info:
        client.get_image_upload_command(**GOOD)
    assert isinstance(info.value, hss.HSSError)
    assert "closed" in str(info.value)
    assert "closed=True" in repr(client)
    with pytest.raises(hss.ClientClosedError):
        with client:
            pass


def test_context_manager_closes(make_client):
    with make_client() as client:
        assert not client.closed
        client.get_image_upload_command(**GOOD)
    assert client.closed
    with pytest.raises(hss.ClientClosedError):
        client.get_image_upload_command(**GOOD)


def test_context_manager_closes_on_error(make_client):
    with pytest.raises(RuntimeError):
        with make_client() as client:
            raise RuntimeError("boom")
    assert client.closed


@pytest.fixture
def freed(monkeypatch):
    """The handles given to hss_client_free (the binding's _Handle._free wrapped), as addresses
    (None for NULL)."""
    from hss._client import _Handle

    seen = []
    real = _Handle._free

    def spy(handle):
        seen.append(handle.value)
        return real(handle)

    monkeypatch.setattr(_Handle, "_free", staticmethod(spy))
    return seen


def test_garbage_collection_frees_the_handle(http_emulator, freed):
    """A client that is dropped without close() frees its C client at once (CPython counts
    references; a cycle would keep it until a collection, or for ever)."""
    for n in range(1, 51):
        client = hss.Client(endpoint=http_emulator.endpoint, project_id="p", ak=AK, sk=SK)
        client.get_image_upload_command(**GOOD)
        handle = client._handle.value
        assert handle
        del client
        assert freed[-1:] == [handle] and len(freed) == n


def test_failed_construction_leaves_nothing_to_free(freed):
    """No C client was made: the half-made object goes at once, without a collection, and what
    it frees is hss_client_free(NULL) (an earlier test's garbage may add more of those)."""
    with pytest.raises(hss.InvalidArgumentError):
        hss.Client(project_id="p")
    assert freed and set(freed) == {None}


def test_client_repr_shows_only_where_it_goes(make_client, http_emulator):
    client = make_client(security_token="temporary-token-123", ca_file=None)
    text = repr(client)
    assert text == "<hss.Client endpoint=%r project_id='proj-python'>" % http_emulator.endpoint
    assert str(client) == text


def test_calls_release_the_gil(make_emulator):
    """While one thread waits in the library, another keeps running Python code."""
    with make_emulator() as emu:  # its own: the stalled handler must not outlive the test
        client = hss.Client(endpoint=emu.endpoint, project_id="emu-stall", ak=AK, sk=SK,
                            timeout=1.0)
        done = threading.Event()
        errors = []

        def stalled_call():
            try:
                client.get_image_upload_command(**GOOD)
            except hss.RequestTimeoutError as e:
                errors.append(e)
            done.set()

        t = threading.Thread(target=stalled_call)
        t.start()
        spins = 0
        deadline = time.monotonic() + 0.8
        while time.monotonic() < deadline:
            spins += 1
        t.join(10)
        assert done.is_set() and len(errors) == 1
        assert spins > 100_000  # the main thread was never blocked on the GIL
        client.close()


def test_version():
    from hss_testsupport import header_define
    assert hss.__version__ == header_define("HSS_VERSION_STRING").strip('"') == "1.2.0"
    assert hss.library_version() == hss.__version__
    assert hss.library_path().endswith("libhss.so.1.2.0") or hss.library_path().endswith("libhss.so.1")


def test_public_api():
    assert set(hss.__all__) <= set(dir(hss))
    for name in hss.__all__:
        assert not name.startswith("_") or name == "__version__"
