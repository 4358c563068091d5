"""The catalogue of communication channels, each online or traditional (the PAR INDEX scores
the diversity of both, e.g. Xuân Lộc's criterion 4.2: 0.5 point each)."""

from django.db import migrations

CHANNELS = [
    ("hoi-nghi", "Hội nghị, tập huấn", "traditional"),
    ("truc-quan", "Trực quan: pano, áp phích, băng rôn, khẩu hiệu", "traditional"),
    ("to-roi", "Tờ rơi, tờ gấp, tài liệu tuyên truyền", "traditional"),
    ("truyen-thanh", "Hệ thống truyền thanh cơ sở", "traditional"),
    ("bao-dai", "Báo, đài phát thanh - truyền hình", "traditional"),
    ("tuyen-truyen-mieng", "Tuyên truyền miệng, lồng ghép hội họp", "traditional"),
    ("cuoc-thi", "Cuộc thi, hội thi", "traditional"),
    ("ban-tin", "Bản tin (in)", "traditional"),
    ("niem-yet", "Niêm yết công khai", "traditional"),
    ("khao-sat", "Khảo sát, lấy ý kiến", "traditional"),
    ("trang-ttdt", "Trang/Cổng thông tin điện tử", "online"),
    ("mang-xa-hoi", "Mạng xã hội (Zalo, Facebook)", "online"),
    ("cuoc-thi-truc-tuyen", "Cuộc thi trực tuyến", "online"),
    ("ban-tin-dien-tu", "Bản tin điện tử", "online"),
    ("bang-dien-tu", "Bảng thông tin điện tử, màn hình LED", "online"),
    ("khao-sat-truc-tuyen", "Khảo sát trực tuyến", "online"),
]


def seed(apps, schema_editor):
    Channel = apps.get_model("plans", "Channel")
    for order, (code, name, mode) in enumerate(CHANNELS):
        Channel.objects.update_or_create(
            code=code, defaults={"name": name, "mode": mode, "sort_order": order * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
