from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cchc_portal.lib.bounds import BoundedForm
from cchc_portal.lib.formatting import megabytes


class SignedUploadForm(BoundedForm):
    """A PDF signed in the official's own tool (USB token), for the page of what it belongs to."""

    file = forms.FileField(label=gettext_lazy("Tệp PDF đã ký số"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.SIGNED_PDF_MAX_BYTES:
            raise forms.ValidationError(
                _("Tệp quá lớn (%(size)s MB); giới hạn là %(limit)s MB.")
                % {"size": megabytes(upload.size), "limit": megabytes(settings.SIGNED_PDF_MAX_BYTES)}
            )
        return upload

    def first_error(self) -> str:
        return next(iter(self.errors.get("file", [])), _("Hãy chọn tệp PDF đã ký số."))
