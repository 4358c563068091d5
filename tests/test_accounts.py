"""Log in, log out, change password: in Vietnamese, throttled against password guessing."""

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


def test_behind_a_proxy_a_strangers_guesses_do_not_lock_the_officer_out(client, world, settings):
    # What DJANGO_BEHIND_TLS_PROXY=1 sets (tests/test_settings.py checks that it does): the client
    # is the address the proxy appended to X-Forwarded-For, not the proxy's REMOTE_ADDR.
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0  # one proxy (nginx): the client is the one entry it wrote
    proxy = "10.0.0.2"
    stranger = {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "REMOTE_ADDR": proxy}
    # A header the stranger wrote himself (nginx appends his address to it) is not believed: his
    # guesses count against the proxy's address, never against the officer's.
    spoofing = {"HTTP_X_FORWARDED_FOR": "198.51.100.20, 203.0.113.7", "REMOTE_ADDR": proxy}
    officer = {"HTTP_X_FORWARDED_FOR": "198.51.100.20", "REMOTE_ADDR": proxy}

    def attempt(password, headers):
        return client.post(reverse("login"), {"username": "canbo.a", "password": password}, **headers)

    for headers in (stranger, spoofing):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt("sai-mat-khau", headers)
        assert attempt(PASSWORD, headers).status_code == 429
    assert attempt(PASSWORD, officer).status_code == 302
