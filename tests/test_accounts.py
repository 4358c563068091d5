"""Log in, log out, change password: in Vietnamese, throttled against password guessing."""

import pytest
from django.urls import reverse

from conftest import PASSWORD


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_it_logs_in_and_out(client, world):
    response = login(client, "canbo.a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "Xin chào, Nguyễn Thị Lan" in client.get(reverse("home")).text
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_the_login_page_is_vietnamese(client, db):
    text = client.get(reverse("login")).text
    assert "Đăng nhập" in text and "Mật khẩu" in text
    assert '<html lang="vi">' in text


def test_a_wrong_password_gets_a_vietnamese_message(client, world):
    response = login(client, "canbo.a", "sai-mat-khau")
    assert response.status_code == 200
    assert "Vui lòng điền vào" in response.text and "mật khẩu chính xác" in response.text


def test_repeated_failures_lock_the_account_out(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "canbo.a", "sai-mat-khau")
    response = login(client, "canbo.a", PASSWORD)  # even the right password is refused now
    assert response.status_code == 429
    assert "Tạm khóa đăng nhập" in response.text
    assert client.get(reverse("home")).status_code == 302


def test_a_successful_login_resets_the_failure_count(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "canbo.a", "sai-mat-khau")
    assert login(client, "canbo.a", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "canbo.a", "sai-mat-khau")
    assert login(client, "canbo.a", PASSWORD).status_code == 302


def test_it_changes_the_password(client, world):
    client.force_login(world.officer_a)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Tuyen-truyen-CCHC-2027",
            "new_password2": "Tuyen-truyen-CCHC-2027",
        },
    )
    assert response.status_code == 302
    world.officer_a.refresh_from_db()
    assert world.officer_a.check_password("Tuyen-truyen-CCHC-2027")


def test_a_weak_new_password_is_refused_in_vietnamese(client, world):
    client.force_login(world.officer_a)
    response = client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"}
    )
    assert response.status_code == 200
    assert "Mật khẩu quá ngắn: cần ít nhất 10 ký tự." in response.text
    assert "Mật khẩu không được chỉ gồm chữ số." in response.text


def test_the_session_ends_with_the_browser_and_after_a_working_day(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600


def attempt(client, password: str, headers: dict, username: str = "canbo.a"):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


@pytest.fixture
def behind_proxy(settings):
    """What DJANGO_BEHIND_TLS_PROXY=1 sets (tests/test_settings.py checks that it does), with nginx
    at 10.0.0.2: the client is the address nginx appended to X-Forwarded-For."""
    settings.CCHC_TRUSTED_PROXIES = ["10.0.0.2"]
    settings.CCHC_TRUSTED_PROXY_COUNT = 1
    return "10.0.0.2"


def test_behind_a_proxy_a_strangers_guesses_do_not_lock_the_officer_out(
    client, world, settings, behind_proxy
):
    proxy = behind_proxy
    stranger = {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "REMOTE_ADDR": proxy}
    # A header the stranger wrote himself (nginx appends his address to it) is not believed: his
    # guesses count against his own address, never against the officer's.
    spoofing = {"HTTP_X_FORWARDED_FOR": "198.51.100.20, 203.0.113.7", "REMOTE_ADDR": proxy}
    officer = {"HTTP_X_FORWARDED_FOR": "198.51.100.20", "REMOTE_ADDR": proxy}

    for headers in (stranger, spoofing):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt(client, "sai-mat-khau", headers)
        assert attempt(client, PASSWORD, headers).status_code == 429
    assert attempt(client, PASSWORD, officer).status_code == 302


def test_a_forged_header_from_outside_the_trusted_proxies_names_nobody(client, world, settings, behind_proxy):
    # The stranger reaches the app directly (not through nginx) and claims the officer's office
    # address: his failures count against his own address, and the office can still log in.
    forged = {"HTTP_X_FORWARDED_FOR": "198.51.100.20", "REMOTE_ADDR": "203.0.113.7"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "sai-mat-khau", forged)
    assert attempt(client, PASSWORD, forged).status_code == 429
    office = {"HTTP_X_FORWARDED_FOR": "198.51.100.20", "REMOTE_ADDR": behind_proxy}
    assert attempt(client, PASSWORD, office).status_code == 302


def test_without_a_proxy_the_forwarded_header_is_ignored(client, world, settings):
    assert settings.CCHC_TRUSTED_PROXY_COUNT == 0  # the default: no DJANGO_BEHIND_TLS_PROXY
    for forged in ("198.51.100.20", "198.51.100.21", "198.51.100.22", "198.51.100.23", "198.51.100.24"):
        attempt(client, "sai-mat-khau", {"HTTP_X_FORWARDED_FOR": forged, "REMOTE_ADDR": "203.0.113.7"})
    # Five addresses claimed, one bucket counted: the stranger's own.
    assert attempt(client, PASSWORD, {"REMOTE_ADDR": "203.0.113.7"}).status_code == 429
    assert attempt(client, PASSWORD, {"REMOTE_ADDR": "198.51.100.20"}).status_code == 302


def test_an_address_guessing_across_many_accounts_is_locked(client, world, settings, behind_proxy):
    settings.CCHC_ADDRESS_FAILURE_LIMIT = 12
    hammer = {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "REMOTE_ADDR": behind_proxy}
    usernames = ["canbo.a", "canbo.b", "chutich.a", "snv.danang", "admin", "khong.co"]
    # Two failures per username: never the five that lock one account, twelve in all.
    for username in usernames:
        for _ in range(2):
            attempt(client, "sai-mat-khau", hammer, username)
    response = attempt(client, PASSWORD, hammer, "canbo.b")
    assert response.status_code == 429 and "Tạm khóa đăng nhập" in response.text
    # Everybody else, the officer behind the same nginx included, logs in.
    office = {"HTTP_X_FORWARDED_FOR": "198.51.100.20", "REMOTE_ADDR": behind_proxy}
    assert attempt(client, PASSWORD, office, "canbo.b").status_code == 302


def test_an_office_survives_a_few_mistyped_passwords(client, world, settings, behind_proxy):
    office = {"HTTP_X_FORWARDED_FOR": "198.51.100.20", "REMOTE_ADDR": behind_proxy}
    for username in ("canbo.a", "canbo.b", "chutich.a"):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            attempt(client, "sai-mat-khau", office, username)
    assert attempt(client, PASSWORD, office, "snv.danang").status_code == 302


def test_a_success_does_not_wipe_a_strangers_failures_from_the_same_address(
    client, world, settings, behind_proxy
):
    settings.CCHC_ADDRESS_FAILURE_LIMIT = 10
    office = {"HTTP_X_FORWARDED_FOR": "198.51.100.20", "REMOTE_ADDR": behind_proxy}
    for username in ("canbo.b", "chutich.a", "khong.co"):
        for _ in range(3):
            attempt(client, "sai-mat-khau", office, username)
    assert attempt(client, PASSWORD, office, "canbo.a").status_code == 302  # 9 failures: not yet
    client.post(reverse("logout"))
    attempt(client, "sai-mat-khau", office, "khong.co")  # the tenth
    assert attempt(client, PASSWORD, office, "snv.danang").status_code == 429
