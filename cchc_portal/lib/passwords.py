"""Django's password validators with Vietnamese messages (Django's own Vietnamese catalogue
lacks them, and officers must understand why a password is refused)."""

from django.contrib.auth import password_validation as base
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MinimumLengthValidator(base.MinimumLengthValidator):
    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                _("Mật khẩu quá ngắn: cần ít nhất %(min_length)d ký tự.") % {"min_length": self.min_length},
                code="password_too_short",
            )

    def get_help_text(self):
        return _("Mật khẩu cần ít nhất %(min_length)d ký tự.") % {"min_length": self.min_length}


class UserAttributeSimilarityValidator(base.UserAttributeSimilarityValidator):
    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError as exc:
            raise ValidationError(
                _("Mật khẩu quá giống thông tin cá nhân (tên đăng nhập, họ tên, thư điện tử)."),
                code="password_too_similar",
            ) from exc

    def get_help_text(self):
        return _("Mật khẩu không được quá giống thông tin cá nhân của bạn.")


class CommonPasswordValidator(base.CommonPasswordValidator):
    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError as exc:
            raise ValidationError(
                _("Mật khẩu này quá phổ biến, dễ bị đoán."), code="password_too_common"
            ) from exc

    def get_help_text(self):
        return _("Không dùng mật khẩu phổ biến, dễ đoán.")


class NumericPasswordValidator(base.NumericPasswordValidator):
    def validate(self, password, user=None):
        if password.isdigit():
            raise ValidationError(_("Mật khẩu không được chỉ gồm chữ số."), code="password_entirely_numeric")

    def get_help_text(self):
        return _("Mật khẩu không được chỉ gồm chữ số.")
