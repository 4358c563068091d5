"""Personas and small hand-built unit trees shared by every app's tests.

The "world" is two provinces: Đà Nẵng (48) with communes A (Phường Tam Kỳ) and B (Phường Bàn
Thạch) and its Sở Nội vụ, and Quảng Ngãi (51) with one commune. Personas follow the permission
matrix of the foundation issue.
"""

from __future__ import annotations

import datetime
import fnmatch
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from units.models import Membership, Role, Unit, UnitKind
from units.services import save_unit

TWO_TIER = datetime.date(2025, 7, 1)


def pytest_configure(config):
    from django.conf import settings

    # Real password hashing costs ~0.3 s a user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _test_files(root: Path, skip_dirs: list[str]) -> set[Path]:
    found = set()
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if not any(fnmatch.fnmatch(d, pattern) for pattern in skip_dirs)]
        found |= {Path(directory, f) for f in files if fnmatch.fnmatch(f, "test_*.py")}
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    """A whole-tree run (no paths given) fails when a test file in the tree yields no test: a
    file nobody runs guards nothing. Runs before -k/-m deselect anything."""
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return
    collected = {Path(item.path) for item in items}
    lost = sorted(_test_files(config.rootpath, config.getini("norecursedirs")) - collected)
    if lost:
        names = "\n  ".join(str(path.relative_to(config.rootpath)) for path in lost)
        pytest.exit(f"test files that yield no test (name the tests test_…):\n  {names}", returncode=4)


def pytest_sessionfinish(session, exitstatus):
    """CCHC_NO_SKIPS=1 (the PostgreSQL pass of .ci/run) turns any skipped test into a failure:
    there every test, the PostgreSQL-only ones included, must run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CCHC_NO_SKIPS") == "1" and skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write_line(
            "CCHC_NO_SKIPS=1: these tests were skipped, and every test must run here:", red=True
        )
        for report in skipped:
            reporter.write_line(f"  {report.nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


PASSWORD = "mat-khau-thu-nghiem-2026"


def make_unit(
    code: str,
    full_name: str,
    kind: str,
    parent: Unit | None = None,
    *,
    name: str | None = None,
    valid_from: datetime.date | None = TWO_TIER,
    valid_to: datetime.date | None = None,
    body_symbol: str = "",
) -> Unit:
    kind_obj = UnitKind.objects.get(code=kind)
    unit = Unit(
        code=code,
        name=name or (full_name.split(" ", 1)[1] if kind_obj.label else full_name),
        full_name=full_name,
        kind=kind_obj,
        valid_from=valid_from,
        valid_to=valid_to,
        body_symbol=body_symbol,
    )
    return save_unit(unit, parent=parent)


def make_user(username: str, *, superuser: bool = False, **fields):
    User = get_user_model()
    user = User.objects.create_user(
        username, password=PASSWORD, is_staff=superuser, is_superuser=superuser, **fields
    )
    return user


def grant(user, unit: Unit, role_code: str, **capabilities: bool) -> Membership:
    """A membership with the role's default capabilities, overridden by keyword."""
    role = Role.objects.get(code=role_code)
    return Membership.objects.create(
        user=user, unit=unit, role=role, **(role.capability_values() | capabilities)
    )


def build_world() -> SimpleNamespace:
    danang = make_unit("48", "Thành phố Đà Nẵng", "thanh-pho-tw")
    commune_a = make_unit("20341", "Phường Tam Kỳ", "phuong", danang)
    commune_b = make_unit("20335", "Phường Bàn Thạch", "phuong", danang)
    make_unit("48-SNV", "Sở Nội vụ", "so-ban-nganh", danang, body_symbol="SNV")
    quangngai = make_unit("51", "Tỉnh Quảng Ngãi", "tinh")
    make_unit("21100", "Xã Tịnh Khê", "xa", quangngai)

    officer_a = make_user("canbo.a", first_name="Lan", last_name="Nguyễn Thị")
    grant(officer_a, commune_a, "phong-van-hoa-xa-hoi")
    officer_b = make_user("canbo.b", first_name="Hùng", last_name="Trần Văn")
    grant(officer_b, commune_b, "phong-van-hoa-xa-hoi")
    leader_a = make_user("chutich.a", first_name="Minh", last_name="Phạm Văn")
    grant(leader_a, commune_a, "chu-tich")
    reviewer = make_user("snv.danang", first_name="Mai", last_name="Hoàng Thị")
    grant(reviewer, danang, "chuyen-vien-so-noi-vu")
    # The city's vice-chair: signs the city's own documents, reviews nobody (no review_reports).
    vice_chair = make_user("phochutich.danang", first_name="Bình", last_name="Võ Văn")
    grant(vice_chair, danang, "pho-chu-tich", manage_plans=False)
    other_reviewer = make_user("snv.quangngai", first_name="Tú", last_name="Đặng Văn")
    grant(other_reviewer, quangngai, "chuyen-vien-so-noi-vu")
    # The văn thư of commune A: numbers, seals and issues its documents (not a matrix persona).
    clerk_a = make_user("vanthu.a", first_name="Hoa", last_name="Lê Thị")
    grant(clerk_a, commune_a, "van-thu")
    admin = make_user("admin", superuser=True, first_name="Quản trị")
    # Reload: adding children changed the parents' numchild in the database.
    units = {u.code: u for u in Unit.objects.all()}
    return SimpleNamespace(
        danang=units["48"],
        commune_a=units["20341"],
        commune_b=units["20335"],
        snv=units["48-SNV"],
        quangngai=units["51"],
        commune_c=units["21100"],
        officer_a=officer_a,
        officer_b=officer_b,
        leader_a=leader_a,
        clerk_a=clerk_a,
        reviewer=reviewer,
        vice_chair=vice_chair,
        other_reviewer=other_reviewer,
        admin=admin,
    )


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts with empty caches: the per-client rate limits (django-ratelimit counts in
    the cache) must not carry one test's requests from 127.0.0.1 into the next."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=True):
        cache.clear()


@pytest.fixture
def world(db) -> SimpleNamespace:
    return build_world()


PERSONAS = [
    "officer_a",
    "officer_b",
    "leader_a",
    "reviewer",
    "vice_chair",
    "other_reviewer",
    "admin",
    "anonymous",
]


@pytest.fixture
def as_persona(client, world):
    """`as_persona("officer_a")` returns the test client logged in as that persona."""

    def login(persona: str):
        client.logout()
        if persona != "anonymous":
            client.force_login(getattr(world, persona))
        return client

    return login


def build_plans(w: SimpleNamespace) -> SimpleNamespace:
    """An issued Đà Nẵng plan with a task for every commune, and commune A's draft started from it."""
    import datetime as dt

    from plans import services
    from units.models import Level

    plan = services.create_plan(w.danang, 2026, by=w.reviewer)
    communes = services.add_group(plan, heading="UBND các xã, phường, đặc khu", lead_level=Level.COMMUNE)
    task = services.add_task(communes, title="Xây dựng chuyên mục CCHC trên hệ thống truyền thanh")
    services.add_target(task, name="Chuyên đề phát thanh", unit_of_measure="chuyên đề", value=12)
    snv_group = services.add_group(plan, heading="Sở Nội vụ", lead_unit=w.snv)
    services.add_task(snv_group, title="Hướng dẫn, kiểm tra việc triển khai")
    services.submit(plan, by=w.reviewer)
    services.approve(plan, by=w.reviewer)
    plan = services.issue(plan, by=w.reviewer, issued_on=dt.date(2026, 1, 20))
    plan_a = services.start_from_superior(w.commune_a, plan, by=w.leader_a)
    copied = plan_a.tasks.get()
    from units.models import Role

    group_a = services.group_for_role(plan_a, Role.objects.get(code="phong-van-hoa-xa-hoi"))
    services.move_task_to_group(copied, group_a, None)
    w.province_plan = plan
    w.province_task = task
    w.plan_a = plan_a
    w.plan_a_task = plan_a.tasks.get()
    w.plan_a_group = group_a
    w.plan_a_section = plan_a.sections.get(kind="purpose")
    w.plan_a_item = w.plan_a_section.items.order_by("position").first()
    return w


@pytest.fixture
def plans_world(world) -> SimpleNamespace:
    return build_plans(world)


# --- signing: the DEMO PKI for the test session, credentials per test --------------------------


@pytest.fixture(scope="session", autouse=True)
def demo_pki(tmp_path_factory):
    """The DEMO PKI with its services (demo/pki_services.py): a root CA, OCSP, CRLs and a TSA on a
    free port of 127.0.0.1, its keys in a temporary directory. Made and started on first use (a
    session that signs nothing pays nothing), stopped at the end. It is also the PKI the demo
    code signs with (`load_demo`). `demo_pki.ca.certificate` is the root; `demo_pki.certificate(
    name, organisation, person=…)` a signing certificate (`.key_der`, `.certificate`, `.chain`),
    the same for the same arguments; `.revoked`, `.expired`, `.stranger`, `.tsa_url`, `.root`."""
    from demo import pki_services

    pki = pki_services.LocalPKI(tmp_path_factory.mktemp("demo-pki"))
    previous = pki_services.install(pki)
    yield pki
    pki_services.install(previous)
    pki.stop()


@pytest.fixture
def give_credentials(db, demo_pki):
    """`give_credentials(unit=…)` stores the unit's seal, `give_credentials(user=…)` a leader's
    personal certificate, both from the session's DEMO CA, which becomes a trusted root."""
    from asn1crypto import pem

    from demo.pki import demo_seal_png, demo_signature_png, to_pkcs12
    from documents import services
    from documents.models import SigningCredential

    services.add_trusted_root(pem.armor("CERTIFICATE", demo_pki.ca.certificate.dump()), is_demo=True)

    def give(*, unit=None, user=None, images: bool = False):
        if unit is not None:
            name = unit.authority_line or unit.full_name
            cert = demo_pki.certificate(name, unit.full_name, person=False)
            kind, image = SigningCredential.Kind.ORGANISATION, demo_seal_png(name) if images else None
        else:
            name = user.get_full_name()
            cert = demo_pki.certificate(name, "Cổng CCHC", person=True)
            kind, image = SigningCredential.Kind.PERSON, demo_signature_png(name) if images else None
        return services.add_credential(
            kind=kind,
            pkcs12=to_pkcs12(cert, [demo_pki.ca.certificate], "demo"),
            passphrase="demo",
            unit=unit,
            user=user,
            image_png=image,
            is_demo=True,
        )

    return give
