"""Fixtures of the shell-command tests (Tests/shell/test_cli.py).

    cli            the built hss-image-upload-command (env HSS_BIN_DIR, default build/bin)
                   and a runner, configured for the shared http_emulator:
                   cli.run(args, stdin=, env=, project=, max_attempts=1) -> subprocess result;
                   "--max-attempts 1" goes first unless the args set it or max_attempts=None
                   (a test whose subject is retries), or bare=True

The emulators, the canned-answer stub_server and closed_port are the shared fixtures of
Tests/conftest.py.

The command always runs with a scrubbed environment: PATH, LD_LIBRARY_PATH=<lib dir>, the
harness's loopback variables (conftest's loopback_env: HOME, the metadata/IAM/STS endpoints at a
closed port, the loopback guard) and only the variables a test sets, so a developer's
HUAWEICLOUD_SDK_* cannot leak in and the credential chain never leaves 127.0.0.1.
The command itself is built by `make cli`; these tests do not compile it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PROGRAM = "hss-image-upload-command"

AK, SK = "EMULATORAK", "EMULATORSK"  # the emulator's defaults


class Cli:
    def __init__(self, exe: Path, lib_dir: Path, endpoint: str, loopback_env: dict):
        self.exe = exe
        self.lib_dir = lib_dir
        self.endpoint = endpoint
        self.loopback_env = loopback_env

    def base_env(self) -> dict:
        return {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(self.lib_dir), "LC_ALL": "C.UTF-8",
                **self.loopback_env}

    def env(self, project: str = "cli-project", extra: dict | None = None) -> dict:
        """A working AK/SK configuration against the HTTP emulator, then `extra`
        (a value of None removes the variable)."""
        env = self.base_env()
        env.update({"HUAWEICLOUD_SDK_ENDPOINT": self.endpoint, "HUAWEICLOUD_SDK_PROJECT_ID": project,
                    "HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK})
        for name, value in (extra or {}).items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def run(self, args, stdin: bytes | str | None = None, env: dict | None = None,
            project: str = "cli-project", bare: bool = False, timeout: float = 30,
            max_attempts: int | None = 1):
        """Run the command. With bare=True the environment is only `env` over the base
        (no emulator configuration) and the args are as given; otherwise one attempt per call
        (--max-attempts first) unless the args say otherwise or max_attempts is None."""
        if isinstance(stdin, str):
            stdin = stdin.encode()
        full = dict(self.base_env(), **(env or {})) if bare else self.env(project, env)
        if not bare and max_attempts is not None and not any(a.startswith("--max-attempts") for a in args):
            args = ["--max-attempts", str(max_attempts), *args]
        return subprocess.run([str(self.exe), *args], input=stdin if stdin is not None else b"",
                              env=full, capture_output=True, timeout=timeout)

    def popen(self, args, env: dict, **kwargs):
        return subprocess.Popen([str(self.exe), *args], env=env, **kwargs)


@pytest.fixture(scope="session")
def cli(lib_dir, http_emulator, loopback_env) -> Cli:
    bin_dir = Path(os.environ.get("HSS_BIN_DIR") or ROOT / "build" / "bin").resolve()
    exe = bin_dir / PROGRAM
    if not os.access(exe, os.X_OK):
        pytest.fail("%s not found: run `make cli` (or set HSS_BIN_DIR)" % exe)
    return Cli(exe, lib_dir, http_emulator.endpoint, loopback_env)
