"""Connection settings: from flags, else environment variables, else a prompt.

The password is deliberately never a flag value (it would land in shell history and in
``ps`` output): it comes from ``VRECONNECT_PASSWORD``, from the environment variable named by
``--password-env NAME``, or from an interactive prompt when stdin is a terminal.

TLS: ``--ca-file``, ``--thumbprint`` and ``--insecure`` each choose how the server certificate
is checked. A TLS flag replaces whatever the ``VRECONNECT_CA_FILE`` / ``VRECONNECT_THUMBPRINT``
/ ``VRECONNECT_INSECURE`` variables say (so an exported CA bundle does not block a one-off
``--thumbprint``); only two flags, or two variables, that contradict each other are an error.
"""

from __future__ import annotations

import getpass
import os
import ssl
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .exitcodes import UsageProblem

__all__ = [
    "ENV_CA_FILE",
    "ENV_INSECURE",
    "ENV_PASSWORD",
    "ENV_THUMBPRINT",
    "ENV_URL",
    "ENV_USER",
    "ENV_VR_URL",
    "SETTING_NAMES",
    "TLS_SETTINGS",
    "ConnectionSettings",
    "check_ca_file",
    "check_url",
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

SETTING_NAMES: dict[str, tuple[str, str]] = {
    "url": ("--url", ENV_URL),
    "vr_url": ("--vr-url", ENV_VR_URL),
    "user": ("--user", ENV_USER),
    "ca_file": ("--ca-file", ENV_CA_FILE),
    "thumbprint": ("--thumbprint", ENV_THUMBPRINT),
    "insecure": ("--insecure", ENV_INSECURE),
}
"""Setting -> (its flag, its environment variable): error messages name the one used."""

TLS_SETTINGS = ("ca_file", "thumbprint", "insecure")
"""The settings that choose how the server certificate is checked (one at a time)."""


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


def prompt_secret(prompt: str, *, hint: str) -> str:
    """Ask for a secret on the terminal without echo.

    Raises:
        UsageProblem: end of input (Ctrl-D) instead of a password; ``hint`` says what else
            would have worked.
    """
    try:
        return getpass.getpass(f"{prompt}: ")
    except EOFError:
        if sys.stderr is not None and sys.stderr.isatty():
            print(file=sys.stderr)  # end the prompt's line: the error goes on its own
        raise UsageProblem(
            "no password entered (end of input at the password prompt)", hint=hint
        ) from None


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
    result may be None (nothing configured and no terminal to ask on). ``prompt`` is the
    prompt's text, e.g. ``Password for administrator@vsphere.local``.

    Raises:
        UsageProblem: ``env_name`` names an unset variable, ``required`` and there is no
            way to obtain the secret, or end of input (Ctrl-D) at the prompt.
    """
    if env_name:
        return secret_from_env(env_name, "--password-env")
    if default_env and default_env in os.environ:
        return os.environ[default_env]
    where = f"set {default_env}, or " if default_env else ""
    if required and sys.stdin is not None and sys.stdin.isatty():
        # getpass reads from the terminal without echo; it never shows up in output.
        return prompt_secret(prompt, hint=f"type the password, {where}pass --password-env NAME")
    if required:
        subject = prompt.removeprefix("Password for ").strip()
        raise UsageProblem(
            f"no password available for {subject}"
            if subject != prompt.strip()
            else f"no password available ({prompt})",
            hint=f"{where}pass --password-env NAME, or run on a terminal to be prompted",
        )
    return None


def check_url(name: str, url: str) -> None:
    """Check that ``url`` is a usable server base URL; ``name`` is the flag or variable it
    came from (named in the error).

    Raises:
        UsageProblem: not http(s), no host name, or a port that is not 1-65535.
    """
    example = "e.g. https://vc.example.com or https://10.0.0.5:8443"
    if not url or any(c.isspace() for c in url):
        raise UsageProblem(f"{name} {url!r}: not a URL", hint=example)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # e.g. an unbalanced IPv6 bracket
        raise UsageProblem(f"{name} {url!r}: not a URL ({exc})", hint=example) from None
    if parts.scheme not in ("https", "http"):
        raise UsageProblem(f"{name} {url!r}: must start with https:// or http://", hint=example)
    if not host:
        raise UsageProblem(f"{name} {url!r}: no host name", hint=example)
    try:
        port = parts.port
    except ValueError:
        port = 0
    # urlsplit takes "host:" (nothing after the colon) as no port; letters and 65536+ raise.
    if port == 0 or parts.netloc.endswith(":"):
        raise UsageProblem(f"{name} {url!r}: the port must be a number from 1 to 65535")
    if parts.query or parts.fragment:
        raise UsageProblem(f"{name} {url!r}: give the server's base URL, without ? or #")
    import httpx  # here, not at the top: ``vreconnect --help`` stays fast

    try:
        httpx.URL(url)  # what the HTTP client will make of it, e.g. an IPv4 octet over 255
    except httpx.InvalidURL as exc:
        raise UsageProblem(f"{name} {url!r}: not a URL ({exc})", hint=example) from None
    try:
        host.encode("idna")  # what name resolution will: an empty or 64+ character label
    except UnicodeError:
        raise UsageProblem(f"{name} {url!r}: {host!r} is not a valid host name") from None


def check_ca_file(name: str, path: Path) -> None:
    """Check that ``path`` is a PEM bundle holding at least one CA certificate; ``name`` is
    the flag or variable it came from (named in the error).

    Raises:
        UsageProblem: no such file, not a regular file, unreadable, or no certificate in it.
    """
    if not path.exists():
        raise UsageProblem(f"{name} {path}: no such file")
    if not path.is_file():
        raise UsageProblem(f"{name} {path}: not a file (expected a PEM CA bundle)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=path)
    except ssl.SSLError as exc:
        found = (
            "no certificate in it"
            if exc.reason == "NO_CERTIFICATE_OR_CRL_FOUND"
            else "a certificate in it is not valid PEM"
        )
        raise UsageProblem(
            f"{name} {path}: not a PEM CA bundle ({found})",
            hint="pass the PEM file of the CA that signed the server's certificate (for a "
            "vCenter, its VMCA root certificate from https://<vcenter>/certs/download.zip)",
        ) from None
    except OSError as exc:
        raise UsageProblem(f"{name} {path}: cannot read: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to connect: server URLs, credentials and TLS options.

    ``password`` stays None until :meth:`with_password` resolves it, so commands that do not
    connect (``sim serve``, ``--help``) never prompt. ``repr`` never shows the password.
    ``from_env`` names the settings that came from environment variables rather than flags
    (see :data:`SETTING_NAMES`): errors then name the variable, and a TLS flag given later
    (:meth:`overridden`) replaces the environment's TLS settings.
    """

    url: str | None = None
    vr_url: str | None = None
    user: str | None = None
    password_env: str | None = None
    ca_file: Path | None = None
    thumbprint: str | None = None
    insecure: bool = False
    password: str | None = field(default=None, repr=False)
    from_env: frozenset[str] = frozenset()

    def name_of(self, setting: str) -> str:
        """The flag (or environment variable) that gave ``setting``, for messages."""
        flag, env = SETTING_NAMES[setting]
        return env if setting in self.from_env else flag

    def validate(self) -> None:
        """Check the combination of options, before anything connects.

        Raises:
            UsageProblem: contradictory or missing settings, or a malformed URL.
        """
        modes = [s for s in ("insecure", "thumbprint", "ca_file") if getattr(self, s)]
        if len(modes) > 1:
            names = " and ".join(self.name_of(s) for s in modes)
            if set(modes) <= self.from_env:
                hint = (
                    "unset all but one of these variables, or pass one of --ca-file, "
                    "--thumbprint, --insecure (a TLS flag replaces the variables)"
                )
            elif "insecure" in modes:
                hint = "--insecure turns verification off; a pin or CA bundle turns it on"
            else:
                hint = "a pinned thumbprint replaces CA verification; pass one of them"
            raise UsageProblem(f"{names} cannot be combined", hint=hint)
        if self.ca_file is not None:
            check_ca_file(self.name_of("ca_file"), self.ca_file)
        for setting in ("url", "vr_url"):
            url = getattr(self, setting)
            if url is not None:
                check_url(self.name_of(setting), url)

    def insecure_warning(self) -> str | None:
        """A one-line warning if certificate verification is off (``--insecure``), else None."""
        if not self.insecure:
            return None
        return (
            f"{self.name_of('insecure')}: the server certificate is not verified, so anyone "
            "on the network path can intercept the connection and the password (use "
            "--ca-file or --thumbprint outside tests)"
        )

    def cleartext_warning(self, url: str) -> str | None:
        """A one-line warning if ``url`` is plain HTTP (the login then crosses the network
        readable by anyone on the path), else None."""
        if not url.lower().startswith("http://"):
            return None
        setting = "vr_url" if self.vr_url and url == self.vr_url.rstrip("/") else "url"
        return (
            f"{self.name_of(setting)} {url} is plain HTTP: the user name and password are "
            "sent in cleartext (use https:// outside a lab)"
        )

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
        this one's: a command's own connection flags over the global ones.

        A TLS flag among ``settings`` replaces every TLS setting that came from the
        environment; TLS flags given both globally and to the command are combined (and
        :meth:`validate` rejects a contradiction).
        """
        given = {name: value for name, value in settings.items() if value}
        base = self
        if any(name in TLS_SETTINGS for name in given):
            env_tls = {name for name in TLS_SETTINGS if name in self.from_env}
            if env_tls:
                base = replace(
                    self,
                    ca_file=None if "ca_file" in env_tls else self.ca_file,
                    thumbprint=None if "thumbprint" in env_tls else self.thumbprint,
                    insecure=False if "insecure" in env_tls else self.insecure,
                )
        # What was given is a flag now; environment TLS settings were replaced (or were not
        # there): either way none of them still comes from the environment.
        dropped = set(given) | (set(TLS_SETTINGS) if base is not self else set())
        return replace(base, **given, from_env=self.from_env - dropped)

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
