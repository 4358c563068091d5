"""The DEMO PKI as running services, for the tests and `make run`: a CA with an OCSP responder and
CRLs, and a time-stamping authority, built with certomancer (by pyHanko's author) and served over
HTTP on 127.0.0.1 by certomancer's Animator (its WSGI application).

What is served, under http://127.0.0.1:PORT/cchc-demo/:

* the DEMO root CA, "CA MINH HỌA CỔNG CCHC (DEMO)" / OU "DEMO – KHÔNG CÓ GIÁ TRỊ PHÁP LÝ", which
  issues every certificate itself. There is no issuing CA under it: the tests, and the PKCS#12
  files the portal stores, give `[ca]` as the whole chain, so an intermediate would have to be
  added to every chain the code and the lead's tests build;
* its OCSP responder, `ocsp/root` (a delegated responder: id-kp-OCSPSigning, id-pkix-ocsp-nocheck;
  responses valid for a day), and its CRL, `crls/root/latest.crl` (a new one every hour);
* a time-stamping authority, `tsa/tsa` (RFC 3161; its certificate is issued by the root);
* every certificate under the root carries the OCSP URL (AIA) and the CRL URL (CRL DP): people's
  (the leader who signs) and bodies' (the seal), for any name; one revoked (`revoked`: revoked
  30 days ago for key compromise, issued long before), one expired (`expired`);
* and, under `ca-la/`, a stranger CA with one certificate and its CRL: a CA nobody trusts.

Any name, yet OCSP for every certificate: certomancer answers OCSP only for the certificates its
configuration declares, so `certificate(name, organisation, person=…)` declares one. It writes a
fresh key and adds the certificate (a random serial) to the configuration, a YAML file rewritten
atomically under a file lock; the server looks at the file before every request and reloads it
when it changed. Certificates are only ever added, never changed, and certomancer signs them
deterministically (RSA PKCS#1 v1.5), so the bytes a caller got and the bytes the responder knows
are the same, whichever process issued the certificate (`make run`'s server is one process,
`load_demo` another). The alternative, certificates made outside certomancer with only a CRL
distribution point (a CRL covers any serial), would have left them without OCSP.

State: one directory holds `certomancer.yml` (certomancer's own format: `certomancer --config …
animate` serves it too) and `keys/` (unencrypted PEM; end-entity keys also as the public key,
which is all certomancer needs to issue their certificates). A test session uses a temporary
directory and a free port; `make run` uses `var/demo-pki` on port 8765 (`DEMO_PKI_PORT` when it
is first made), kept across runs so that certificates in the development database keep working.
Keys are never committed: `var/` is ignored.

Everything here is DEMO, for tests and the demo only: product code never imports it.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import fcntl
import hashlib
import io
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import certomancer.default_plugins  # noqa: F401  (the certificate profiles and smart values used below)
import yaml
from asn1crypto import x509 as asn1_x509
from certomancer.config_utils import SearchDir
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, KeySets, PKIArchitecture

from demo.pki import (
    BODY_UNIT,
    DEMO_CA_NAME,
    PERSON_UNIT,
    IssuedCertificate,
    ca_name_parts,
    clip,
    labelled,
    to_pkcs12,
)

HOST = "127.0.0.1"
DEMO_PORT = 8765  # `make run`'s PKI; DEMO_PKI_PORT chooses another when var/demo-pki is first made
ARCH = "cchc-demo"  # the DEMO CA: its URLs start with /cchc-demo/
STRANGER_ARCH = "ca-la"  # a CA nobody trusts
STRANGER_CA_NAME = "CA LẠ (DEMO – KHÔNG ĐƯỢC TIN CẬY)"
KEYSET = "demo-keys"
CONFIG_FILE = "certomancer.yml"
KEY_BITS = 2048  # as the certificates Vietnamese CAs issue to officials
YEAR, MONTH = datetime.timedelta(days=365), datetime.timedelta(days=30)
CA_BEFORE, CA_AFTER = 3 * YEAR, 10 * YEAR  # the root predates the expired certificate
CERT_VALIDITY = 3 * YEAR  # a civil servant's certificate lasts a few years
# A day's margin before now, as the offline DEMO CA has: a signing time read a little before the
# certificate was made (a test module's clock read at import) is inside it.
NOT_BEFORE_MARGIN = datetime.timedelta(days=1)
OCSP_VALIDITY = {"days": 1}
CRL_SCHEDULE = "PT1H"  # a new CRL every hour
ANSWER_TIMEOUT = 2  # seconds: is a PKI server already answering at this address?

# The demo's revoked and expired certificates (tests use them as they are).
REVOKED_PERSON = ("Trần Quốc Hưng", "Phường Tam Kỳ")  # a former chairman of Phường Tam Kỳ
REVOKED_SINCE = MONTH
EXPIRED_PERSON = ("Đỗ Thị Hạnh", "Phường Bàn Thạch")
STRANGER_PERSON = ("Người Lạ", "Tổ chức chứng thực lạ")


# (valid from, valid to, revoked at) of a certificate, given the moment it is declared
Dates = Callable[[datetime.datetime], tuple[datetime.datetime, datetime.datetime, datetime.datetime | None]]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _serial() -> int:
    # 16 random bytes, top bit cleared so the DER integer stays positive (RFC 5280 § 4.1.2.2)
    return int.from_bytes(secrets.token_bytes(16), "big") >> 1 or 1


# --- the state directory ------------------------------------------------------------------------


class _State:
    """certomancer.yml and keys/ in one directory. Writers hold a file lock; the configuration is
    replaced atomically, so a reader never sees half a file."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.config_path = directory / CONFIG_FILE
        self.keys = directory / "keys"

    def exists(self) -> bool:
        return self.config_path.is_file()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def read(self) -> dict:
        return yaml.safe_load(self.config_path.read_text(encoding="utf-8"))

    def write(self, config: dict) -> None:
        temporary = self.config_path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        os.replace(temporary, self.config_path)

    def new_key(self, label: str) -> None:
        """A fresh RSA key: keys/LABEL.key.pem (PKCS#8) and keys/LABEL.pub.pem."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
        self.keys.mkdir(parents=True, exist_ok=True)
        private = self.keys / f"{label}.key.pem"
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        private.chmod(0o600)
        (self.keys / f"{label}.pub.pem").write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def key_der(self, label: str) -> bytes:
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_private_key((self.keys / f"{label}.key.pem").read_bytes(), None)
        return key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


# --- the configuration --------------------------------------------------------------------------


def _ca_architecture(
    root: str, name: str, organisation: str, *, validity: dict, services: dict, entities: dict
) -> dict:
    """A certomancer architecture: the root CA `root` (its entity, key and certificate share the
    label), its CRL and its certificate repository, and `services`."""
    common_name, remark = ca_name_parts(name)
    return {
        "keyset": KEYSET,
        "entity-defaults": {"country-name": "VN"},
        "entities": {
            root: {
                "organization-name": labelled(organisation),
                "organizational-unit-name": remark,
                "common-name": common_name,
            },
            **entities,
        },
        "certs": {
            root: {
                "subject": root,
                "issuer": root,
                "serial": _serial(),
                "validity": validity,
                # basicConstraints (CA, no CA under it) and keyUsage of a CA. Not its revocation
                # pointers on the certificates it issues: certomancer would put them on the root too.
                "profiles": [{"id": "simple-ca", "params": {"max-path-len": 0}}],
            }
        },
        "services": {
            "crl-repo": {
                root: {"for-issuer": root, "signing-key": root, "simulated-update-schedule": CRL_SCHEDULE}
            },
            "cert-repo": {root: {"for-issuer": root, "publish-issued-certs": False}},
            **services,
        },
    }


def _revocation_pointers(root: str, *, ocsp: bool) -> list[dict]:
    """The CRL distribution point and (`ocsp`) the OCSP responder's URL (AIA) of `root`'s CA."""
    pointers = [
        {
            "id": "crl_distribution_points",
            "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [root]}},
        }
    ]
    if ocsp:
        pointers.append(
            {
                "id": "authority_information_access",
                "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": [root]}},
            }
        )
    return pointers


def _initial_config(prefix: str, now: datetime.datetime) -> dict:
    """The DEMO root, its OCSP responder and its TSA (keys root, ocsp, tsa)."""
    validity = {"valid-from": _iso(now - CA_BEFORE), "valid-to": _iso(now + CA_AFTER)}
    demo = _ca_architecture(
        "root",
        DEMO_CA_NAME,
        "Cổng CCHC",
        validity=validity,
        entities={
            "ocsp": {
                "organization-name": labelled("Cổng CCHC"),
                "common-name": "Máy chủ OCSP của CA minh họa (DEMO)",
            },
            "tsa": {
                "organization-name": labelled("Cổng CCHC"),
                "common-name": "Máy chủ cấp dấu thời gian minh họa (DEMO)",
            },
        },
        services={
            "ocsp": {
                "root": {
                    "for-issuer": "root",
                    "responder-cert": "ocsp",
                    "signing-key": "ocsp",
                    "validity-period": OCSP_VALIDITY,
                }
            },
            "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
        },
    )
    demo["certs"]["ocsp"] = {
        "issuer": "root",
        "serial": _serial(),
        "validity": validity,
        "profiles": ["ocsp-responder"],
    }
    demo["certs"]["tsa"] = {
        "issuer": "root",
        "serial": _serial(),
        "validity": validity,
        "extensions": [
            {
                "id": "key_usage",
                "critical": True,
                "smart-value": {"schema": "key-usage", "params": ["digital_signature"]},
            },
            {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
            *_revocation_pointers("root", ocsp=True),
        ],
    }
    return {
        "external-url-prefix": prefix,
        "keysets": {
            KEYSET: {
                "path-prefix": "keys",
                "keys": {k: {"path": f"{k}.key.pem"} for k in ("root", "ocsp", "tsa")},
            }
        },
        "pki-architectures": {ARCH: demo},
    }


def _stranger_architecture(now: datetime.datetime) -> dict:
    validity = {"valid-from": _iso(now - CA_BEFORE), "valid-to": _iso(now + CA_AFTER)}
    return _ca_architecture(
        "stranger-root", STRANGER_CA_NAME, "Tổ chức lạ", validity=validity, services={}, entities={}
    )


def _declare_certificate(
    config: dict,
    arch: str,
    label: str,
    *,
    common_name: str,
    organisation: str,
    person: bool,
    valid_from: datetime.datetime,
    valid_to: datetime.datetime,
    revoked_at: datetime.datetime | None,
) -> None:
    """Add an end-entity signing certificate (digitalSignature + nonRepudiation) to `config`."""
    config["keysets"][KEYSET]["keys"][label] = {"path": f"{label}.pub.pem", "public-only": True}
    architecture = config["pki-architectures"][arch]
    issuer = "root" if arch == ARCH else "stranger-root"
    architecture["entities"][label] = {
        "organization-name": labelled(organisation),
        "organizational-unit-name": PERSON_UNIT if person else BODY_UNIT,
        "common-name": clip(common_name) or "?",
    }
    spec = {
        "issuer": issuer,
        "serial": _serial(),
        "validity": {"valid-from": _iso(valid_from), "valid-to": _iso(valid_to)},
        "profiles": ["digsig-commitment"],
        "extensions": [
            {"id": "basic_constraints", "critical": True, "value": {"ca": False}},
            *_revocation_pointers(issuer, ocsp=arch == ARCH),  # the stranger CA runs no OCSP responder
        ],
    }
    if revoked_at is not None:
        spec["revocation"] = {"revoked-since": _iso(revoked_at), "reason": "key_compromise"}
    architecture["certs"][label] = spec


# --- certomancer objects, reloaded when the configuration changes -------------------------------


class _Registry:
    """certomancer's PKI architectures for the state's current configuration. Certificates are
    cached across reloads (a label's certificate never changes), so each is signed once."""

    def __init__(self, state: _State):
        self._state = state
        self._lock = threading.Lock()
        self._seen: tuple | None = None
        self._architectures: dict = {}
        self._certificates: dict[str, dict] = {}

    def architectures(self) -> dict:
        status = self._state.config_path.stat()
        stamp = (status.st_ino, status.st_mtime_ns, status.st_size)
        with self._lock:
            if stamp != self._seen:
                self._architectures = self._build(self._state.read())
                self._seen = stamp
            return self._architectures

    def _build(self, config: dict) -> dict:
        key_sets = KeySets(
            config["keysets"], search_dir=SearchDir(str(self._state.directory)), lazy_load_keys=True
        )
        return {
            ArchLabel(label): PKIArchitecture.build_architecture(
                ArchLabel(label),
                architecture,
                key_sets,
                external_url_prefix=config["external-url-prefix"],
                cert_cache=self._certificates.setdefault(label, {}),
            )
            for label, architecture in config["pki-architectures"].items()
        }

    def architecture(self, label: str) -> PKIArchitecture:
        return self.architectures()[ArchLabel(label)]


class _WholeSecondsAnimator(Animator):
    def at_time(self, request):
        # Whole seconds: NSS (poppler's pdfsig) rejects an OCSP response whose GeneralizedTimes
        # carry a fraction of a second, as DER profiles forbid (RFC 5280 § 4.1.2.5.2).
        return super().at_time(request).replace(microsecond=0)


class _Animator:
    """certomancer's Animator over the registry's latest architectures; it also answers OCSP
    requests sent with GET (RFC 6960 A.1: the request, base64, in the path), as NSS sends them
    first, by handing them on as the POST certomancer serves."""

    def __init__(self, registry: _Registry):
        self._registry = registry
        self._served: tuple = (None, None)

    def __call__(self, environ, start_response):
        architectures = self._registry.architectures()
        served, animator = self._served
        if served is not architectures:
            animator = _WholeSecondsAnimator(
                AnimatorArchStore(architectures), with_web_ui=False, allow_time_override=False
            )
            self._served = (architectures, animator)
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        head, _ocsp, request = path.partition("/ocsp/")
        if method == "GET" and "/" in request:
            label, _slash, encoded = request.partition("/")
            try:
                body = base64.b64decode(urllib.parse.unquote(encoded), validate=True)
            except ValueError:
                body = b""
            environ = environ | {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": f"{head}/ocsp/{label}",
                "CONTENT_TYPE": "application/ocsp-request",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
            }
        return animator(environ, start_response)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True  # `make run` again right after a stop: the fixed port is free


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass  # no line per request on the terminal of `make run` or the tests


# --- the API ------------------------------------------------------------------------------------


class LocalPKI:
    """The DEMO PKI in `directory`: made on first use (keys for the root, its OCSP responder and
    its TSA), and served on 127.0.0.1 by this process unless a server answers there already
    (`make run` starts one; `load_demo` then uses it). `port=0`: a free port, for a new directory."""

    def __init__(self, directory: Path | str, *, port: int = 0):
        self.directory = Path(directory)
        self._port = port
        self._state = _State(self.directory)
        self._registry = _Registry(self._state)
        self._lock = threading.RLock()
        self._issued: dict[tuple[str, str], IssuedCertificate] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = False
        self._url: str | None = None

    # --- running -------------------------------------------------------------------------------

    def start(self) -> LocalPKI:
        """Serve the PKI from this process (a thread), making the state first if there is none."""
        with self._lock:
            if self._server is None:
                self._serve()
            self._ready = True
            return self

    def ensure_running(self) -> LocalPKI:
        """The state made, and a server answering at its address: one started here if none is."""
        with self._lock:
            if not self._ready:
                if self._server is None and not self.answers():
                    self._serve()
                self._ready = True
            return self

    def serve_forever(self) -> None:
        """Serve in this thread until the process is stopped (`make run`)."""
        self.start()
        assert self._thread is not None
        self._thread.join()

    @property
    def serving(self) -> bool:
        """Does this process serve it (rather than another, or none yet)?"""
        return self._server is not None

    def stop(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                if self._thread is not None:
                    self._thread.join(timeout=5)
                self._server = self._thread = None
            self._ready = False

    def _serve(self) -> None:
        port = self._port
        if self._state.exists():
            port = int(self._state.read()["external-url-prefix"].rsplit(":", 1)[1])
        try:
            server = make_server(HOST, port, _Animator(self._registry), _Server, _QuietHandler)
        except OSError as exc:
            raise OSError(f"the DEMO PKI cannot listen on {HOST}:{port} ({self.directory}): {exc}") from exc
        try:
            if not self._state.exists():
                with self._state.locked():
                    if not self._state.exists():
                        for label in ("root", "ocsp", "tsa"):
                            self._state.new_key(label)
                        self._state.write(_initial_config(f"http://{HOST}:{server.server_port}", _now()))
        except BaseException:
            server.server_close()
            raise
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name=f"demo-pki-{port}", daemon=True)
        self._thread.start()

    def answers(self) -> bool:
        """Does a server at this state's address serve this state's root?"""
        if not self._state.exists():
            return False
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
        try:
            with opener.open(f"{self.url}/{ARCH}/certs/root/ca.crt", timeout=ANSWER_TIMEOUT) as response:
                return response.read() == self._certificate(ARCH, "root").dump()
        except OSError:
            return False

    # --- addresses -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, as the certificates name it (it never changes for a state)."""
        if self._url is None:
            if not self._state.exists():
                self.ensure_running()
            self._url = self._state.read()["external-url-prefix"]
        return self._url

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    @property
    def ocsp_url(self) -> str:
        return f"{self.url}/{ARCH}/ocsp/root"

    @property
    def crl_url(self) -> str:
        return f"{self.url}/{ARCH}/crls/root/latest.crl"

    # --- certificates --------------------------------------------------------------------------

    @property
    def root(self) -> asn1_x509.Certificate:
        """The DEMO root CA's certificate: the trust anchor."""
        return self.ca.certificate

    @property
    def ca(self) -> IssuedCertificate:
        """The DEMO root CA, its key included."""
        with self._lock:
            if (ARCH, "ca") not in self._issued:
                self.ensure_running()
                self._issued[(ARCH, "ca")] = IssuedCertificate(
                    key_der=self._state.key_der("root"), certificate=self._certificate(ARCH, "root"), chain=[]
                )
            return self._issued[(ARCH, "ca")]

    @property
    def tsa_certificate(self) -> asn1_x509.Certificate:
        self.ensure_running()
        return self._certificate(ARCH, "tsa")

    def certificate(
        self,
        common_name: str,
        organisation: str,
        *,
        person: bool = True,
        valid_from: datetime.datetime | None = None,
        valid_to: datetime.datetime | None = None,
        revoked_at: datetime.datetime | None = None,
    ) -> IssuedCertificate:
        """A signing certificate from the DEMO CA, the same one for the same arguments: a leader's
        (`person`) or a body's (its seal). Valid from yesterday for three years unless told;
        `revoked_at` (past or future) is when the CA revokes it, for key compromise."""
        identity = json.dumps(
            [
                common_name,
                organisation,
                person,
                *(_iso(t) if t else None for t in (valid_from, valid_to, revoked_at)),
            ]
        )
        label = f"{'nguoi' if person else 'coquan'}-{hashlib.sha256(identity.encode()).hexdigest()[:20]}"
        return self._issue(
            ARCH,
            label,
            common_name,
            organisation,
            person=person,
            dates=lambda now: (
                valid_from or now - NOT_BEFORE_MARGIN,
                valid_to or now + CERT_VALIDITY,
                revoked_at,
            ),
        )

    def pkcs12(
        self, common_name: str, organisation: str, *, person: bool = True, passphrase: str = "demo"
    ) -> bytes:
        """`certificate(…)` with its key and chain as a PKCS#12 file, as a CA hands it out."""
        issued = self.certificate(common_name, organisation, person=person)
        return to_pkcs12(issued, issued.chain, passphrase)

    @property
    def revoked(self) -> IssuedCertificate:
        """A leader's certificate, issued a year ago and revoked 30 days ago (key compromise):
        a former chairman of Phường Tam Kỳ."""
        return self._issue(
            ARCH,
            "thu-hoi",
            *REVOKED_PERSON,
            dates=lambda now: (now - YEAR, now + 2 * YEAR, now - REVOKED_SINCE),
        )

    @property
    def expired(self) -> IssuedCertificate:
        """A leader's certificate that expired 30 days ago (valid for two years before that)."""
        return self._issue(
            ARCH, "het-han", *EXPIRED_PERSON, dates=lambda now: (now - 2 * YEAR - MONTH, now - MONTH, None)
        )

    @property
    def stranger(self) -> IssuedCertificate:
        """A leader's certificate from a stranger CA (served too, with its CRL), which the portal
        does not trust; `.chain` is that CA's root."""
        return self._issue(
            STRANGER_ARCH,
            "nguoi-la",
            *STRANGER_PERSON,
            dates=lambda now: (now - NOT_BEFORE_MARGIN, now + CERT_VALIDITY, None),
        )

    def _certificate(self, arch: str, label: str) -> asn1_x509.Certificate:
        return self._registry.architecture(arch).get_cert(CertLabel(label))

    def _issue(
        self, arch: str, label: str, common_name: str, organisation: str, *, person: bool = True, dates: Dates
    ) -> IssuedCertificate:
        """The certificate `label`, declared first unless some process has declared it."""
        with self._lock:
            if (arch, label) not in self._issued:
                self.ensure_running()
                if not self._declared(arch, label):
                    self._declare(arch, label, common_name, organisation, person=person, dates=dates)
                self._issued[(arch, label)] = self._load(arch, label)
            return self._issued[(arch, label)]

    def _declare(
        self, arch: str, label: str, common_name: str, organisation: str, *, person: bool, dates: Dates
    ) -> None:
        """Add the certificate, with a new key, to the configuration (unless another process just
        did); `dates(now)` is (valid from, valid to, revoked at)."""
        with self._state.locked():
            config = self._state.read()
            if self._declared(arch, label, config):
                return
            now = _now()
            if arch not in config["pki-architectures"]:  # the stranger CA, on first use
                self._state.new_key("stranger-root")
                config["keysets"][KEYSET]["keys"]["stranger-root"] = {"path": "stranger-root.key.pem"}
                config["pki-architectures"][STRANGER_ARCH] = _stranger_architecture(now)
            self._state.new_key(label)
            valid_from, valid_to, revoked_at = dates(now)
            _declare_certificate(
                config,
                arch,
                label,
                common_name=common_name,
                organisation=organisation,
                person=person,
                valid_from=valid_from,
                valid_to=valid_to,
                revoked_at=revoked_at,
            )
            self._state.write(config)

    def _declared(self, arch: str, label: str, config: dict | None = None) -> bool:
        config = config or self._state.read()
        return label in config["pki-architectures"].get(arch, {}).get("certs", {})

    def _load(self, arch: str, label: str) -> IssuedCertificate:
        architecture = self._registry.architecture(arch)
        revocation = architecture.get_cert_spec(CertLabel(label)).revocation
        root = "root" if arch == ARCH else "stranger-root"
        return IssuedCertificate(
            key_der=self._state.key_der(label),
            certificate=architecture.get_cert(CertLabel(label)),
            chain=[self._certificate(arch, root)],
            revoked_at=revocation.revoked_since if revocation is not None else None,
        )


# --- the PKI the demo signs with ------------------------------------------------------------------

_current: LocalPKI | None = None


def install(pki: LocalPKI | None) -> LocalPKI | None:
    """Make `pki` the one `current()` returns (a test session's); returns the previous one."""
    global _current
    previous, _current = _current, pki
    return previous


def current() -> LocalPKI:
    """The PKI the demo signs with: the test session's, else `make run`'s in var/demo-pki."""
    global _current
    if _current is None:
        from django.conf import settings

        _current = LocalPKI(
            settings.VAR_DIR / "demo-pki", port=int(os.environ.get("DEMO_PKI_PORT", DEMO_PORT))
        )
    return _current


# --- `make run`: python -m demo.pki_services serve|tsa-url --------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.pki_services", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["serve", "tsa-url"])
    parser.add_argument("--state", default="var/demo-pki", help="the PKI's directory (default var/demo-pki)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PKI_PORT", DEMO_PORT)))
    parser.add_argument("--wait", type=float, default=60, help="tsa-url: seconds to wait for the server")
    parser.add_argument("--server-pid", type=int, help="tsa-url: give up as soon as this process has ended")
    args = parser.parse_args(argv)
    pki = LocalPKI(args.state, port=args.port)
    if args.command == "serve":
        if pki.answers():  # another `make run` serves it already
            print(f"[demo-pki] PKI minh họa đang chạy tại {pki.url} ({args.state})", file=sys.stderr)
            return 0
        started = time.monotonic()
        pki.start()
        print(
            f"[demo-pki] CA, OCSP, CRL, TSA (DEMO) trên {pki.url} — {args.state} "
            f"({time.monotonic() - started:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
        pki.serve_forever()
        return 0
    deadline = time.monotonic() + args.wait
    while not pki.answers():
        if time.monotonic() > deadline or (args.server_pid and not _alive(args.server_pid)):
            print(f"[demo-pki] không có máy chủ PKI minh họa nào trả lời ({args.state})", file=sys.stderr)
            return 1
        time.sleep(0.1)
    print(pki.tsa_url)
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
