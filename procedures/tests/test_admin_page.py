import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_changelist_offers_import_and_export(as_persona):
    page = as_persona("admin").get(reverse("admin:procedures_procedure_changelist"))
    assert page.status_code == 200
    assert "Nhập danh mục TTHC từ tệp" in page.text
    assert reverse("admin:procedures_procedure_export") in page.text
