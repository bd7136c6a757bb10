"""Connection settings: from global flags, else environment variables, else a prompt.

The password is deliberately never a flag value (it would land in shell history and in
``ps`` output): it comes from ``VRECONNECT_PASSWORD``, from the environment variable named by
``--password-env NAME``, or from an interactive prompt when stdin is a terminal.
"""

from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .exitcodes import UsageProblem

__all__ = [
    "ENV_CA_FILE",
    "ENV_INSECURE",
    "ENV_PASSWORD",
    "ENV_THUMBPRINT",
    "ENV_URL",
    "ENV_USER",
    "ENV_VR_URL",
    "ConnectionSettings",
    "read_secret",
    "secret_from_env",
]

ENV_URL = "VRECONNECT_URL"
ENV_VR_URL = "VRECONNECT_VR_URL"
ENV_USER = "VRECONNECT_USER"
ENV_PASSWORD = "VRECONNECT_PASSWORD"
ENV_CA_FILE = "VRECONNECT_CA_FILE"
ENV_THUMBPRINT = "VRECONNECT_THUMBPRINT"
ENV_INSECURE = "VRECONNECT_INSECURE"


def secret_from_env(name: str, flag: str) -> str:
    """The value of environment variable ``name``, which option ``flag`` named.

    Raises:
        UsageProblem: the variable is not set.
    """
    value = os.environ.get(name)
    if value is None:
        raise UsageProblem(
            f"environment variable {name} (named by {flag}) is not set",
            hint=f"export {name}=... before running vreconnect",
        )
    return value


def read_secret(
    env_name: str | None,
    *,
    default_env: str | None,
    prompt: str,
    required: bool = True,
) -> str | None:
    """Read a secret without ever taking it as a flag value.

    Order: the variable named by ``env_name`` (it must then exist), else ``default_env`` if
    set, else an interactive prompt when stdin is a terminal. With ``required=False`` the
    result may be None (nothing configured and no terminal to ask on).

    Raises:
        UsageProblem: ``env_name`` names an unset variable, or ``required`` and there is no
            way to obtain the secret.
    """
    if env_name:
        return secret_from_env(env_name, "--password-env")
    if default_env and default_env in os.environ:
        return os.environ[default_env]
    if required and sys.stdin is not None and sys.stdin.isatty():
        # getpass reads from the terminal without echo; it never shows up in output.
        return getpass.getpass(f"{prompt}: ")
    if required:
        where = f"set {default_env}, " if default_env else ""
        raise UsageProblem(
            f"no password available for {prompt.lower()}",
            hint=f"{where}pass --password-env NAME, or run on a terminal to be prompted",
        )
    return None


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to connect: server URLs, credentials and TLS options.

    ``password`` stays None until :meth:`with_password` resolves it, so commands that do not
    connect (``sim serve``, ``--help``) never prompt. ``repr`` never shows the password.
    """

    url: str | None = None
    vr_url: str | None = None
    user: str | None = None
    password_env: str | None = None
    ca_file: Path | None = None
    thumbprint: str | None = None
    insecure: bool = False
    password: str | None = field(default=None, repr=False)

    def validate(self) -> None:
        """Check the combination of options, before anything connects.

        Raises:
            UsageProblem: contradictory or missing settings.
        """
        if self.insecure and (self.thumbprint or self.ca_file):
            raise UsageProblem(
                "--insecure cannot be combined with --thumbprint or --ca-file",
                hint="--insecure turns verification off; a pin or CA bundle turns it on",
            )
        if self.ca_file is not None and not self.ca_file.is_file():
            raise UsageProblem(f"--ca-file {self.ca_file}: no such file")
        for name, url in (("--url", self.url), ("--vr-url", self.vr_url)):
            if url is not None and not url.startswith(("https://", "http://")):
                raise UsageProblem(f"{name} {url!r} must start with https:// or http://")

    def require_url(self, *, vr: bool = False) -> str:
        """The server URL (the VR one with ``vr=True``, falling back to ``--url``).

        Raises:
            UsageProblem: neither a flag nor the environment named a server.
        """
        url = (self.vr_url or self.url) if vr else self.url
        if not url:
            raise UsageProblem(
                "no server given",
                hint=f"pass --url https://vcenter.example.com or set {ENV_URL}",
            )
        return url.rstrip("/")

    def require_user(self) -> str:
        """The user name.

        Raises:
            UsageProblem: neither ``--user`` nor ``VRECONNECT_USER`` is set.
        """
        if not self.user:
            raise UsageProblem("no user given", hint=f"pass --user NAME or set {ENV_USER}")
        return self.user

    def overridden(self, **settings: Any) -> ConnectionSettings:
        """A copy with each of ``settings`` that is set (not None, empty or False) replacing
        this one's: a command's own connection options over the global ones."""
        return replace(self, **{name: value for name, value in settings.items() if value})

    def with_password(self) -> ConnectionSettings:
        """A copy with ``password`` resolved (env, ``--password-env`` variable, or prompt)."""
        if self.password is not None:
            return self
        secret = read_secret(
            self.password_env,
            default_env=ENV_PASSWORD,
            prompt=f"Password for {self.user or 'the server'}",
        )
        return replace(self, password=secret)
