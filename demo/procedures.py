"""Demo catalogue for `make run`: the national portal's export for Bộ Tư pháp (271 procedures,
procedures/data/README.md), imported the way an administrator would, and a few of them listed
publicly at Phường Tam Kỳ. Idempotent: nothing happens once the catalogue has procedures."""

from __future__ import annotations

import datetime
from pathlib import Path

from procedures import services
from procedures.models import Procedure, UnitProcedure
from procedures.reading import read_procedures
from units.models import Unit

SAMPLE = Path(__file__).resolve().parent.parent / "procedures" / "data" / "tthc-portal-export-sample.xlsx"


def load_procedure_demo(log=print) -> None:
    if Procedure.objects.exists():
        log(f"  Danh mục TTHC: đã có {Procedure.objects.count()} thủ tục, giữ nguyên")
        return
    content = SAMPLE.read_bytes()
    plan = services.plan_import(read_procedures(content, SAMPLE.name))
    batch = services.apply_import(plan, source_name=SAMPLE.name, content=content)
    ward = Unit.objects.current().filter(code="20341").first()
    listed = 0
    if ward is not None:
        commune_level = Procedure.objects.filter(status="in_force").order_by("code")
        for index, procedure in enumerate(p for p in commune_level if "xa" in p.levels):
            if index % 3 == 2:
                continue  # about a third not yet listed: the share is not 100%
            UnitProcedure.objects.create(
                unit=ward,
                procedure=procedure,
                listed_at_centre=datetime.date(2026, 3, 2),
                listed_on_website=datetime.date(2026, 3, 9) if index % 2 == 0 else None,
            )
            listed += 1
    log(f"  Danh mục TTHC minh họa: {batch.added} thủ tục (Bộ Tư pháp); Phường Tam Kỳ niêm yết {listed}")
