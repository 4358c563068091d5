"""Several app servers: cache, sessions, media storage and the replica, all from the environment.

Each settings test imports the settings in a fresh process (the helper of test_settings.py) with
production variables plus the ones under test, and reads back what Django would run with.
"""

import json
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from django.db import transaction
from django.db.utils import ConnectionRouter

from cchc_portal.db_routers import ReplicaRouter, use_replica
from tests.test_settings import PRODUCTION, run
from units.models import Unit

# Blank means unset, so a variable exported in the shell running the tests cannot leak in.
SCALE_OUT_UNSET = dict.fromkeys(
    [
        "CACHE_URL",
        "DJANGO_SESSION_ENGINE",
        "CCHC_MEDIA_STORAGE",
        "CCHC_S3_BUCKET",
        "CCHC_S3_ENDPOINT_URL",
        "CCHC_S3_ACCESS_KEY",
        "CCHC_S3_SECRET_KEY",
        "CCHC_S3_REGION",
        "CCHC_S3_ADDRESSING_STYLE",
        "DATABASE_REPLICA_URL",
    ],
    "",
)
PRINT_SETTINGS = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'CACHES': s.CACHES, 'SESSION_ENGINE': s.SESSION_ENGINE, 'STORAGES': s.STORAGES, "
    "'DATABASES': s.DATABASES, 'DATABASE_ROUTERS': s.DATABASE_ROUTERS}, default=str))"
)
S3 = {
    "CCHC_MEDIA_STORAGE": "s3",
    "CCHC_S3_BUCKET": "cchc-media",
    "CCHC_S3_ENDPOINT_URL": "https://s3.example.gov.vn",
    "CCHC_S3_ACCESS_KEY": "cchc-portal",
    "CCHC_S3_SECRET_KEY": "s3-secret",
    "CCHC_S3_REGION": "hn-1",
}


def start(args, **env):
    return run(args, **(PRODUCTION | SCALE_OUT_UNSET | env))


def shell(code: str, **env) -> str:
    """Run Python code in a fresh process with these settings; its last line of output."""
    result = start(["shell", "--no-imports", "-c", code], **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def settings_with(**env) -> dict:
    return json.loads(shell(PRINT_SETTINGS, **env))


@pytest.fixture
def s3_packages(tmp_path):
    """PYTHONPATH with empty `storages` and `boto3`: the settings only look for the packages."""
    for name in ("storages", "boto3"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    return {"PYTHONPATH": str(tmp_path)}


def test_by_default_it_runs_as_one_server_did():
    loaded = settings_with()
    assert loaded["CACHES"] == {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": ""}
    }
    assert loaded["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert loaded["STORAGES"]["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert loaded["STORAGES"]["staticfiles"] == {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    }
    assert list(loaded["DATABASES"]) == ["default"]
    assert loaded["DATABASE_ROUTERS"] == []


def test_a_redis_cache_url_uses_djangos_own_redis_backend():
    loaded = settings_with(CACHE_URL="redis://10.0.0.5:6379/1?key_prefix=cchc&timeout=600")
    assert loaded["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://10.0.0.5:6379/1",
        "KEY_PREFIX": "cchc",
        "TIMEOUT": 600,
        "OPTIONS": {},
    }


def test_a_database_cache_url_uses_the_cache_table():
    loaded = settings_with(CACHE_URL="dbcache://cchc_cache")
    assert loaded["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "cchc_cache",
    }


@pytest.mark.parametrize(
    ("choice", "engine"),
    [
        ("db", "django.contrib.sessions.backends.db"),
        ("cache", "django.contrib.sessions.backends.cache"),
        ("cached_db", "django.contrib.sessions.backends.cached_db"),
    ],
)
def test_the_session_engine_is_chosen_by_name(choice, engine):
    loaded = settings_with(DJANGO_SESSION_ENGINE=choice, CACHE_URL="redis://10.0.0.5:6379/1")
    assert loaded["SESSION_ENGINE"] == engine


def test_sessions_in_a_per_process_cache_are_refused():
    result = start(["check"], DJANGO_SESSION_ENGINE="cached_db")
    assert result.returncode != 0
    assert "needs a shared CACHE_URL" in result.stderr


def test_an_unknown_session_engine_is_refused():
    result = start(["check"], DJANGO_SESSION_ENGINE="signed_cookies")
    assert result.returncode != 0
    assert "DJANGO_SESSION_ENGINE='signed_cookies' không hợp lệ" in result.stderr


def test_s3_media_storage_is_private_and_never_overwrites(s3_packages):
    loaded = settings_with(**S3, **s3_packages)
    assert loaded["STORAGES"]["default"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "cchc-media",
            "endpoint_url": "https://s3.example.gov.vn",
            "access_key": "cchc-portal",
            "secret_key": "s3-secret",
            "region_name": "hn-1",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    # Static files stay with WhiteNoise on every node.
    assert loaded["STORAGES"]["staticfiles"] == {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    }


def test_s3_credentials_may_come_from_the_machine(s3_packages):
    # Without keys, boto3 finds them itself (AWS_* variables, an instance role).
    loaded = settings_with(CCHC_MEDIA_STORAGE="s3", CCHC_S3_BUCKET="cchc-media", **s3_packages)
    assert loaded["STORAGES"]["default"]["OPTIONS"] == {
        "bucket_name": "cchc-media",
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }


def test_s3_without_a_bucket_is_refused(s3_packages):
    result = start(["check"], **(S3 | {"CCHC_S3_BUCKET": ""}), **s3_packages)
    assert result.returncode != 0
    assert "CCHC_S3_BUCKET chưa được đặt" in result.stderr


@pytest.fixture
def without_s3_packages(tmp_path):
    """PYTHONPATH with a sitecustomize that hides the installed s3 extra, as on a plain install."""
    # A None entry in sys.modules is Python's own "not installed": find_spec answers None.
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules.update(storages=None, boto3=None)\n")
    return {"PYTHONPATH": str(tmp_path)}


def test_s3_without_its_packages_says_what_to_install(without_s3_packages):
    result = start(["check"], **S3, **without_s3_packages)
    assert result.returncode != 0
    assert "pip install 'cchc-portal[s3]'" in result.stderr


def test_an_unknown_media_storage_is_refused():
    result = start(["check"], CCHC_MEDIA_STORAGE="nfs")
    assert result.returncode != 0
    assert "CCHC_MEDIA_STORAGE='nfs' không hợp lệ" in result.stderr


def test_django_storages_accepts_every_s3_option():
    # The s3 extra is part of the test set-up (scripts/setup installs ".[dev,s3]").
    from storages.backends.s3 import S3Storage

    options = settings_with(**S3, CCHC_S3_ADDRESSING_STYLE="path")["STORAGES"]["default"]["OPTIONS"]
    storage = S3Storage(**options)  # an unknown option raises ImproperlyConfigured
    assert (storage.bucket_name, storage.addressing_style, storage.default_acl) == (
        "cchc-media",
        "path",
        "private",
    )


def test_the_replica_is_a_second_alias_that_tests_mirror():
    loaded = settings_with(DATABASE_REPLICA_URL="postgres://cchc@10.0.0.6:5432/cchc")
    replica = loaded["DATABASES"]["replica"]
    assert (replica["HOST"], replica["NAME"], replica["CONN_MAX_AGE"]) == ("10.0.0.6", "cchc", 60)
    assert replica["TEST"]["MIRROR"] == "default"
    assert loaded["DATABASES"]["default"]["HOST"] == "127.0.0.1"
    assert loaded["DATABASE_ROUTERS"] == ["cchc_portal.db_routers.ReplicaRouter"]


def test_the_deploy_check_is_clean_with_every_scale_out_setting(s3_packages):
    result = start(
        ["check", "--deploy", "--fail-level", "WARNING"],
        CACHE_URL="redis://10.0.0.5:6379/1",
        DJANGO_SESSION_ENGINE="cached_db",
        DATABASE_REPLICA_URL="postgres://cchc@10.0.0.6:5432/cchc",
        **S3,
        **s3_packages,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- Redis, for real -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A Redis server of the test's own (Debian's redis-server, installed by scripts/setup) on a
    free loopback port, keeping nothing on disk; stopped after the module."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    assert Path(binary).exists(), "redis-server is missing: scripts/setup test installs it with apt"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert server.poll() is None, "redis-server exited at start"
                assert time.monotonic() < deadline, "redis-server did not start in 10 s"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_session_saved_by_one_server_is_read_by_another_through_redis(redis_url):
    import redis

    # Two processes stand for two app servers, each with its own connection to Redis.
    prefix = f"cchc-test-{uuid.uuid4().hex}"
    node = {"DJANGO_SESSION_ENGINE": "cache", "CACHE_URL": f"{redis_url}?key_prefix={prefix}"}
    sessions = (
        "from importlib import import_module\n"
        "from django.conf import settings\n"
        "SessionStore = import_module(settings.SESSION_ENGINE).SessionStore\n"
    )
    server = redis.Redis.from_url(redis_url)
    try:
        key = shell(
            sessions + "s = SessionStore(); s['who'] = 'canbo.tamky'; s.save(); print(s.session_key)", **node
        )
        assert server.keys(f"{prefix}:*"), "the session is stored under CACHE_URL's key_prefix"
        assert shell(sessions + f"s = SessionStore('{key}'); print(s.get('who')); s.delete()", **node) == (
            "canbo.tamky"
        )
        assert not server.keys(f"{prefix}:*")
    finally:
        server.close()


# --- The replica router --------------------------------------------------------------------------

router = ConnectionRouter([ReplicaRouter()])


def test_reads_go_to_the_primary_unless_the_code_asks_for_the_replica():
    assert router.db_for_read(Unit) == "default"
    with use_replica():
        assert router.db_for_read(Unit) == "replica"
    assert router.db_for_read(Unit) == "default"


def test_use_replica_also_decorates_a_function():
    @use_replica()
    def rollup_reads_from():
        return router.db_for_read(Unit)

    assert rollup_reads_from() == "replica"
    assert router.db_for_read(Unit) == "default"


def test_writes_go_to_the_primary_even_for_a_row_read_from_the_replica():
    unit = Unit(name="Phường Tam Kỳ")
    unit._state.db = "replica"
    with use_replica():
        assert router.db_for_write(Unit, instance=unit) == "default"
    # Without the router's explicit answer Django would write back where the row came from.
    assert ConnectionRouter([]).db_for_write(Unit, instance=unit) == "replica"


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary():
    with transaction.atomic(), use_replica():
        assert router.db_for_read(Unit) == "default"


def test_rows_of_the_primary_and_the_replica_may_be_related():
    primary, replica = Unit(), Unit()
    primary._state.db, replica._state.db = "default", "replica"
    assert router.allow_relation(primary, replica) is True


def test_nothing_is_migrated_on_the_replica():
    assert router.allow_migrate("replica", "units") is False
    assert router.allow_migrate("default", "units") is True


def test_a_queryset_reads_from_the_replica_only_inside_use_replica(tmp_path):
    database = f"sqlite:///{tmp_path / 'cchc.sqlite3'}"
    code = (
        "from cchc_portal.db_routers import use_replica; from units.models import Unit; "
        "outside = Unit.objects.all().db\n"
        "with use_replica(): inside = Unit.objects.all().db\n"
        "print(outside, inside)"
    )
    assert shell(code, DATABASE_URL=database, DATABASE_REPLICA_URL=database) == "default replica"
