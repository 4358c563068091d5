"""A report is addressed to a list ("Kính gửi", one a line, in proper case), copies go to other
recipients after "- Như trên;", the archive line names the drafting unit, and the signer's block
is the signer's own. The addressee written by the old default ("Ủy ban nhân dân THÀNH PHỐ ĐÀ
NẴNG", or the bare "Thành phố Đà Nẵng") becomes "Ủy ban nhân dân thành phố Đà Nẵng"."""

import cchc_portal.lib.bounds
import django.core.validators
from django.db import migrations, models

from cchc_portal.lib import nd30

STEPLEN = 4  # treebeard's MP_Node path step (units.models.Unit)
AGENCY = "agency"  # units.models.Level.AGENCY


def _old_defaults(parent) -> set[str]:
    """What the old default wrote ("Ủy ban nhân dân THÀNH PHỐ ĐÀ NẴNG", or the bare full name
    for a unit without an authority line), and the authority line itself."""
    old = (parent.authority_line or parent.full_name).replace("ỦY BAN NHÂN DÂN", "Ủy ban nhân dân").strip()
    return {old, parent.full_name, parent.authority_line} - {""}


def _proper(parent) -> str:
    return parent.full_name if parent.kind.level == AGENCY else nd30.collective_name(parent.full_name)


def to_proper_case(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    Unit = apps.get_model("units", "Unit")
    parents = {}
    for report in Report.objects.select_related("unit").iterator():
        path = report.unit.path[:-STEPLEN]
        if path not in parents:
            parents[path] = Unit.objects.select_related("kind").filter(path=path).first() if path else None
        parent = parents[path]
        if parent is None:
            continue
        old, new = _old_defaults(parent), _proper(parent)
        changed = []
        if report.recipients in old:
            report.recipients = new
            changed.append("recipients")
        narrative = (report.accepted_snapshot or {}).get("narrative")
        if narrative and "recipient" in narrative:
            value = narrative.pop("recipient")
            narrative["recipients"] = new if value in old else value
            changed.append("accepted_snapshot")
        if changed:
            report.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_target_result_own"),
        ("units", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="historicalreport", old_name="recipient", new_name="recipients"),
        migrations.RenameField(model_name="report", old_name="recipient", new_name="recipients"),
        migrations.AddField(
            model_name="historicalreport",
            name="drafting_unit",
            field=models.CharField(
                blank=True,
                default="VP",
                help_text="Ghi ở dòng “- Lưu: VT, VP.” của nơi nhận, ví dụ “VP” (Văn phòng).",
                max_length=30,
                verbose_name="đơn vị soạn thảo (viết tắt)",
            ),
        ),
        migrations.AddField(
            model_name="historicalreport",
            name="other_recipients",
            field=models.TextField(
                blank=True,
                help_text="Ngoài nơi được kính gửi; mỗi dòng một nơi, ví dụ “Thường trực Đảng ủy phường”.",
                max_length=2000,
                validators=[
                    django.core.validators.MaxLengthValidator(2000),
                    cchc_portal.lib.bounds.NoControlCharacters(multiline=True),
                ],
                verbose_name="nơi nhận khác",
            ),
        ),
        migrations.AlterField(
            model_name="historicalreport",
            name="recipients",
            field=models.TextField(
                blank=True,
                help_text="Mỗi dòng một nơi nhận, ví dụ “Ủy ban nhân dân thành phố Đà Nẵng”.",
                max_length=2000,
                validators=[
                    django.core.validators.MaxLengthValidator(2000),
                    cchc_portal.lib.bounds.NoControlCharacters(multiline=True),
                ],
                verbose_name="kính gửi",
            ),
        ),
        migrations.AddField(
            model_name="historicalreport",
            name="signer_lines",
            field=models.TextField(blank=True, editable=False, verbose_name="thẩm quyền, chức vụ người ký"),
        ),
        migrations.AddField(
            model_name="report",
            name="drafting_unit",
            field=models.CharField(
                blank=True,
                default="VP",
                help_text="Ghi ở dòng “- Lưu: VT, VP.” của nơi nhận, ví dụ “VP” (Văn phòng).",
                max_length=30,
                verbose_name="đơn vị soạn thảo (viết tắt)",
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="other_recipients",
            field=models.TextField(
                blank=True,
                help_text="Ngoài nơi được kính gửi; mỗi dòng một nơi, ví dụ “Thường trực Đảng ủy phường”.",
                max_length=2000,
                validators=[
                    django.core.validators.MaxLengthValidator(2000),
                    cchc_portal.lib.bounds.NoControlCharacters(multiline=True),
                ],
                verbose_name="nơi nhận khác",
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="recipients",
            field=models.TextField(
                blank=True,
                help_text="Mỗi dòng một nơi nhận, ví dụ “Ủy ban nhân dân thành phố Đà Nẵng”.",
                max_length=2000,
                validators=[
                    django.core.validators.MaxLengthValidator(2000),
                    cchc_portal.lib.bounds.NoControlCharacters(multiline=True),
                ],
                verbose_name="kính gửi",
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="signer_lines",
            field=models.TextField(blank=True, editable=False, verbose_name="thẩm quyền, chức vụ người ký"),
        ),
        migrations.RunPython(to_proper_case, migrations.RunPython.noop),
    ]
