"""The DEMO PKI's services (demo/pki_services.py) as a client sees them: certificates for any name
carrying their OCSP and CRL URLs, an OCSP responder and a CRL that know the revoked certificate,
an RFC 3161 time-stamping authority; asked with OpenSSL, an independent client."""

from __future__ import annotations

import base64
import datetime
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from asn1crypto import crl, ocsp, pem

from demo import pki_services
from demo.pki_services import LocalPKI
from documents.signing import SigningError, read_pkcs12

ROOT_DIR = Path(__file__).resolve().parents[2]


def _pem(path: Path, cert) -> str:
    path.write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    return str(path)


def _openssl_ocsp(pki: LocalPKI, issued, folder: Path) -> str:
    """`openssl ocsp` asks the certificate's own OCSP URL (AIA) and checks the answer's signature."""
    [url] = issued.certificate.ocsp_urls
    result = subprocess.run(
        ["openssl", "ocsp", "-issuer", _pem(folder / "root.pem", pki.root),
         "-cert", _pem(folder / "cert.pem", issued.certificate), "-CAfile", str(folder / "root.pem"),
         "-url", url, "-no_nonce"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Response verify OK" in result.stderr, result.stderr
    return result.stdout


def _get(url: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return response.read()


def test_certificates_for_any_name_point_at_the_services(demo_pki):
    leader = demo_pki.certificate("Hoàng Thị Phương Thảo", "Cổng CCHC")
    seal = demo_pki.certificate("ỦY BAN NHÂN DÂN XÃ TỊNH KHÊ", "Xã Tịnh Khê", person=False)
    assert demo_pki.certificate("Hoàng Thị Phương Thảo", "Cổng CCHC") is leader  # the same, not a new one
    assert leader.certificate.subject.native == {
        "country_name": "VN",
        "organization_name": "Cổng CCHC (DEMO)",
        "organizational_unit_name": "Cá nhân – chứng thư minh họa (DEMO)",
        "common_name": "Hoàng Thị Phương Thảo",
    }
    assert seal.certificate.subject.native["organizational_unit_name"].startswith("Cơ quan")
    for issued in (leader, seal):
        cert = issued.certificate
        assert [c.dump() for c in issued.chain] == [demo_pki.root.dump()]
        assert cert.issuer == demo_pki.root.subject
        assert cert.ocsp_urls == [demo_pki.ocsp_url]
        assert [p.url for p in cert.crl_distribution_points] == [demo_pki.crl_url]
        assert demo_pki.url.startswith("http://127.0.0.1:")
        assert cert.key_usage_value.native == {"digital_signature", "non_repudiation"}
        assert read_pkcs12(demo_pki.pkcs12(*_name_of(cert), person=issued is leader), "demo").fingerprint == (
            cert.sha256.hex()
        )


def _name_of(cert) -> tuple[str, str]:
    subject = cert.subject.native
    return subject["common_name"], subject["organization_name"].removesuffix(" (DEMO)")


def test_the_demo_ca_is_labelled_demo(demo_pki):
    subject = demo_pki.root.subject.native
    assert "DEMO" in subject["common_name"]
    assert subject["organizational_unit_name"] == "DEMO – KHÔNG CÓ GIÁ TRỊ PHÁP LÝ"
    assert demo_pki.root.ca and demo_pki.root.self_signed == "maybe"
    assert demo_pki.root.ocsp_urls == [] and demo_pki.root.crl_distribution_points == []


def test_ocsp_says_good_for_a_valid_certificate_and_revoked_for_the_revoked_one(demo_pki, tmp_path):
    good = _openssl_ocsp(demo_pki, demo_pki.certificate("Lê Văn Tám", "Phường Bàn Thạch"), tmp_path)
    assert "cert.pem: good" in good
    revoked = demo_pki.revoked
    answer = _openssl_ocsp(demo_pki, revoked, tmp_path)
    assert "cert.pem: revoked" in answer and "Reason: keyCompromise" in answer
    since = revoked.revoked_at.strftime("%b %e %H:%M:%S %Y GMT").replace("  ", " ")
    assert f"Revocation Time: {since}" in " ".join(answer.split()), answer


def test_ocsp_answers_a_get_request_too(demo_pki):
    """RFC 6960 A.1, as NSS asks first: the DER request, base64, in the URL."""
    revoked = demo_pki.revoked
    request = ocsp.OCSPRequest(
        {
            "tbs_request": {
                "request_list": [
                    {
                        "req_cert": {
                            "hash_algorithm": {"algorithm": "sha256"},
                            "issuer_name_hash": demo_pki.root.subject.sha256,
                            "issuer_key_hash": demo_pki.root.public_key.sha256,
                            "serial_number": revoked.certificate.serial_number,
                        }
                    }
                ]
            }
        }
    )
    encoded = urllib.parse.quote(base64.b64encode(request.dump()).decode(), safe="")
    response = ocsp.OCSPResponse.load(_get(f"{demo_pki.ocsp_url}/{encoded}"))
    assert response["response_status"].native == "successful"
    [single] = response.response_data["responses"]
    assert single["cert_status"].name == "revoked"
    assert single["cert_status"].chosen["revocation_time"].native == revoked.revoked_at


def test_the_crl_lists_the_revoked_serial_and_not_the_others(demo_pki, tmp_path):
    revoked, valid = demo_pki.revoked, demo_pki.certificate("Lê Văn Tám", "Phường Bàn Thạch")
    [url] = [p.url for p in revoked.certificate.crl_distribution_points]
    (tmp_path / "latest.crl").write_bytes(_get(url))
    checked = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-in", "latest.crl", "-noout",
         "-CAfile", _pem(tmp_path / "root.pem", demo_pki.root)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "verify OK" in checked.stdout + checked.stderr
    tbs = crl.CertificateList.load((tmp_path / "latest.crl").read_bytes())["tbs_cert_list"]
    listed = {e["user_certificate"].native: e["revocation_date"].native for e in tbs["revoked_certificates"]}
    assert listed.get(revoked.certificate.serial_number) == revoked.revoked_at
    assert valid.certificate.serial_number not in listed


def test_the_tsa_answers_an_rfc3161_request(demo_pki, tmp_path):
    (tmp_path / "data.txt").write_text("Kế hoạch số 01/KH-UBND")
    subprocess.run(
        ["openssl", "ts", "-query", "-data", "data.txt", "-sha256", "-cert", "-out", "request.tsq"],
        cwd=tmp_path, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    posted = urllib.request.Request(
        demo_pki.tsa_url,
        data=(tmp_path / "request.tsq").read_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
    )
    with opener.open(posted, timeout=10) as response:
        assert response.headers["Content-Type"] == "application/timestamp-reply"
        (tmp_path / "reply.tsr").write_bytes(response.read())
    verified = subprocess.run(
        ["openssl", "ts", "-verify", "-queryfile", "request.tsq", "-in", "reply.tsr",
         "-CAfile", _pem(tmp_path / "root.pem", demo_pki.root),
         "-untrusted", _pem(tmp_path / "tsa.pem", demo_pki.tsa_certificate)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "Verification: OK" in verified.stdout, verified.stdout + verified.stderr


def test_the_expired_and_the_stranger_certificates(demo_pki):
    now = datetime.datetime.now(datetime.UTC)
    expired = demo_pki.expired
    assert expired.certificate.not_valid_after < now
    with pytest.raises(SigningError, match="đã hết hạn"):
        read_pkcs12(_p12(expired), "demo")
    stranger = demo_pki.stranger
    [stranger_root] = stranger.chain
    assert stranger_root.dump() != demo_pki.root.dump()
    assert stranger.certificate.issuer == stranger_root.subject
    assert "DEMO" in stranger_root.subject.native["common_name"]
    [url] = [p.url for p in stranger.certificate.crl_distribution_points]
    assert crl.CertificateList.load(_get(url)).issuer == stranger_root.subject  # its CA is served too


def _p12(issued) -> bytes:
    from demo.pki import to_pkcs12

    return to_pkcs12(issued, issued.chain, "demo")


def test_the_demo_code_signs_with_the_session_pki(demo_pki):
    assert pki_services.current() is demo_pki


def test_the_state_survives_a_restart_certificates_included(tmp_path, tmp_path_factory):
    first = LocalPKI(tmp_path / "pki")
    try:
        issued = first.certificate("Phạm Văn Minh", "Cổng CCHC")
        revoked, url = first.revoked, first.url
    finally:
        first.stop()
    again = LocalPKI(tmp_path / "pki")
    try:
        assert again.url == url  # the port the certificates name
        assert again.certificate("Phạm Văn Minh", "Cổng CCHC").certificate.dump() == issued.certificate.dump()
        assert again.revoked.certificate.dump() == revoked.certificate.dump()
        assert "cert.pem: good" in _openssl_ocsp(again, issued, tmp_path_factory.mktemp("ocsp"))
    finally:
        again.stop()
    assert not list((tmp_path / "pki").glob("*.tmp"))


def test_make_runs_server_serves_what_another_process_declares(tmp_path):
    """`make run`: the PKI is served by `python -m demo.pki_services serve` in the background, and
    `load_demo` (another process) adds certificates that its OCSP responder then knows."""
    state = tmp_path / "demo-pki"
    env = os.environ | {"PYTHONPATH": str(ROOT_DIR)}
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "demo.pki_services", "serve", "--state", str(state), "--port", "0"],
        cwd=ROOT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        waited = subprocess.run(
            [sys.executable, "-m", "demo.pki_services", "tsa-url", "--state", str(state), "--wait", "60"],
            cwd=ROOT_DIR, env=env, capture_output=True, text=True, timeout=90,
        )  # fmt: skip
        assert waited.returncode == 0, waited.stderr
        print(f"`serve` answered after {time.monotonic() - started:.1f} s")
        client = LocalPKI(state)
        assert waited.stdout.strip() == client.tsa_url
        issued = client.certificate("Võ Thị Sáu", "Phường Tam Kỳ")
        assert not client.serving  # it used the running server, started none of its own
        assert "cert.pem: good" in _openssl_ocsp(client, issued, tmp_path)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()
