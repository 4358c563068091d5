from __future__ import annotations

import io

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cchc_portal.lib.bounds import BoundedForm, BoundedModelForm
from cchc_portal.lib.formatting import short_date
from documents import services
from documents.models import OutgoingDocument, SigningCredential, SigningIdentity, TrustedRoot
from units.forms import CheckedAutocompleteSelect, UnitAutocompleteSelect, UnitChoiceField
from units.models import Membership, Unit, User

MAX_IMAGE_BYTES = 1024 * 1024
MAX_CERTIFICATE_BYTES = 64 * 1024


@admin.register(OutgoingDocument)
class OutgoingDocumentAdmin(admin.ModelAdmin):
    """The register is written by issuing documents, never by hand."""

    list_display = ["reference", "unit", "year", "issued_on", "subject", "signer_name", "state"]
    list_filter = ["document_type", "state", "year"]
    search_fields = ["subject", "unit__search_text", "symbol", "signed_sha256"]
    list_select_related = ["unit"]
    readonly_fields = [f.name for f in OutgoingDocument._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CredentialUploadForm(BoundedForm):
    kind = forms.ChoiceField(label=gettext_lazy("Loại chứng thư"), choices=SigningCredential.Kind.choices)
    unit = UnitChoiceField(
        Unit.objects.all(),
        required=False,
        label=gettext_lazy("Cơ quan (chứng thư con dấu)"),
        widget=UnitAutocompleteSelect(Membership._meta.get_field("unit"), admin.site),
    )
    user = forms.ModelChoiceField(
        User.objects.all(),
        required=False,
        label=gettext_lazy("Người ký (chứng thư cá nhân)"),
        widget=CheckedAutocompleteSelect(Membership._meta.get_field("user"), admin.site),
    )
    pkcs12 = forms.FileField(label=gettext_lazy("Tệp chứng thư và khóa (.p12, .pfx)"))
    passphrase = forms.CharField(
        label=gettext_lazy("Mật khẩu của tệp"), widget=forms.PasswordInput, required=False
    )
    image = forms.FileField(
        label=gettext_lazy("Ảnh chữ ký (xanh) hoặc con dấu (đỏ), PNG nền trong suốt"), required=False
    )

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        if not upload:
            return None
        if upload.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError(_("Ảnh quá lớn (tối đa 1 MB)."))
        from PIL import Image, UnidentifiedImageError

        data = upload.read()
        try:
            image = Image.open(io.BytesIO(data))
            image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise forms.ValidationError(_("Tệp ảnh không đọc được.")) from exc
        if image.format != "PNG":
            raise forms.ValidationError(_("Ảnh phải là PNG (nền trong suốt), theo Nghị định 30/2020/NĐ-CP."))
        return data

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == SigningCredential.Kind.ORGANISATION and not data.get("unit"):
            self.add_error("unit", _("Hãy chọn cơ quan của chứng thư con dấu."))
        if kind == SigningCredential.Kind.PERSON and not data.get("user"):
            self.add_error("user", _("Hãy chọn người ký của chứng thư cá nhân."))
        return data


@admin.register(SigningCredential)
class SigningCredentialAdmin(admin.ModelAdmin):
    list_display = ["kind", "unit", "user", "subject_name", "valid_from", "valid_to", "is_active", "is_demo"]
    list_filter = ["kind", "is_active", "is_demo"]
    search_fields = ["subject_name", "organisation", "unit__search_text", "user__username", "user__last_name"]
    list_select_related = ["unit", "user"]
    fields = [
        "kind",
        "unit",
        "user",
        "subject_name",
        "organisation",
        "fingerprint",
        "valid_from",
        "valid_to",
        "is_active",
        "is_demo",
        "uploaded_by",
        "uploaded_at",
    ]
    readonly_fields = [
        "kind",
        "unit",
        "user",
        "subject_name",
        "organisation",
        "fingerprint",
        "valid_from",
        "valid_to",
        "is_demo",
        "uploaded_by",
        "uploaded_at",
    ]
    change_list_template = "admin/documents/signingcredential/change_list.html"

    def has_add_permission(self, request):
        return False  # added through the upload page, which reads and encrypts the key

    def get_urls(self):
        return [
            path(
                "tai-len/",
                self.admin_site.admin_view(self.upload_view),
                name="documents_signingcredential_upload",
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        if not request.user.is_superuser:
            messages.error(request, _("Chỉ quản trị viên hệ thống được nạp chứng thư số."))
            return HttpResponseRedirect(reverse("admin:documents_signingcredential_changelist"))
        form = CredentialUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                credential = services.add_credential(
                    kind=data["kind"],
                    pkcs12=data["pkcs12"].read(),
                    passphrase=data["passphrase"] or "",
                    unit=data["unit"] if data["kind"] == SigningCredential.Kind.ORGANISATION else None,
                    user=data["user"] if data["kind"] == SigningCredential.Kind.PERSON else None,
                    image_png=data["image"],
                    by=request.user,
                )
            except Exception as exc:  # SigningError carries the Vietnamese reason
                from documents.signing import SigningError

                if not isinstance(exc, SigningError):
                    raise
                form.add_error("pkcs12", str(exc))
            else:
                messages.success(
                    request,
                    _("Đã nạp chứng thư của %(name)s (hiệu lực đến %(to)s). Khóa bí mật được mã hóa khi lưu.")
                    % {"name": credential.subject_name, "to": short_date(credential.valid_to)},
                )
                return HttpResponseRedirect(reverse("admin:documents_signingcredential_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("Nạp chứng thư số"),
        }
        return render(request, "admin/documents/signingcredential/upload.html", context)


class TrustedRootForm(BoundedModelForm):
    certificate_file = forms.FileField(
        label=gettext_lazy("Tệp chứng thư gốc (.cer, .crt, .pem)"), required=False
    )

    class Meta:
        model = TrustedRoot
        fields = ["name", "is_active"]

    def clean(self):
        data = super().clean()
        upload = data.get("certificate_file")
        if not self.instance.pk and not upload:
            self.add_error("certificate_file", _("Hãy chọn tệp chứng thư gốc."))
        elif upload:
            try:
                self.root = services.add_trusted_root(upload.read(), name=data.get("name") or "")
            except services.DocumentError as exc:
                self.add_error("certificate_file", str(exc))
        return data


@admin.register(TrustedRoot)
class TrustedRootAdmin(admin.ModelAdmin):
    form = TrustedRootForm
    list_display = ["name", "fingerprint", "is_active", "is_demo", "added_at"]
    list_filter = ["is_active", "is_demo"]
    readonly_fields = ["fingerprint", "is_demo", "added_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        root = form.root  # created (or found) by the form from the uploaded certificate
        root.name = form.cleaned_data.get("name") or root.name
        root.is_active = form.cleaned_data.get("is_active", True)
        root.save()
        obj.pk = root.pk


class SigningIdentityForm(BoundedModelForm):
    """Register a certificate (the public part only: a USB token or a remote signing service
    keeps the key) to the leader who signs with it or to the unit whose seal it is."""

    certificate_file = forms.FileField(
        label=gettext_lazy("Tệp chứng thư số (.cer, .crt, .pem)"),
        help_text=gettext_lazy(
            "Chỉ chứng thư (khóa công khai); khóa bí mật nằm trong USB token của người ký."
        ),
    )

    class Meta:
        model = SigningIdentity
        fields = ["kind", "user", "unit"]
        widgets = {
            "unit": UnitAutocompleteSelect(Membership._meta.get_field("unit"), admin.site),
            "user": CheckedAutocompleteSelect(Membership._meta.get_field("user"), admin.site),
        }

    def clean(self):
        data = super().clean()
        kind, user, unit = data.get("kind"), data.get("user"), data.get("unit")
        if kind == SigningIdentity.Kind.PERSON and (user is None or unit is not None):
            self.add_error("user", _("Chứng thư cá nhân: chọn người ký, để trống cơ quan."))
        if kind == SigningIdentity.Kind.ORGANISATION and (unit is None or user is not None):
            self.add_error("unit", _("Chứng thư con dấu: chọn cơ quan, để trống người ký."))
        upload = data.get("certificate_file")
        if upload is not None and upload.size > MAX_CERTIFICATE_BYTES:
            self.add_error("certificate_file", _("Tệp quá lớn cho một chứng thư số (tối đa 64 KB)."))
        elif upload is not None and not self.errors:
            try:
                self.identity = services.register_identity(
                    upload.read(),
                    user=user if kind == SigningIdentity.Kind.PERSON else None,
                    unit=unit if kind == SigningIdentity.Kind.ORGANISATION else None,
                    by=getattr(self, "request_user", None),
                )
            except services.DocumentError as exc:
                self.add_error("certificate_file", str(exc))
        return data


@admin.register(SigningIdentity)
class SigningIdentityAdmin(admin.ModelAdmin):
    """Who may sign in which field: a certificate is registered to a person or to a unit.
    Registered once, never edited (a wrong one is switched off and the right one registered)."""

    list_display = ["subject_name", "kind", "user", "unit", "issuer_name", "valid_to", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["subject_name", "organisation", "fingerprint", "unit__search_text", "user__username"]
    list_select_related = ["unit", "user"]
    readonly_fields = [
        "kind",
        "user",
        "unit",
        "subject_name",
        "organisation",
        "issuer_name",
        "serial",
        "fingerprint",
        "valid_from",
        "valid_to",
        "added_by",
        "added_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            form = type("BoundSigningIdentityForm", (SigningIdentityForm,), {"request_user": request.user})
            kwargs["form"] = form
            kwargs["fields"] = ["kind", "user", "unit", "certificate_file"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["kind", "user", "unit", "certificate_file"]
        return [*self.readonly_fields, "is_active"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["is_active"])
            return
        obj.pk = form.identity.pk  # registered by the form from the uploaded certificate
        obj._state.adding = False
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        return False  # signatures already checked against it keep their history
