import os

from django.core.management.base import BaseCommand

from demo import require_development
from demo.city import load_city_plans, load_city_reports
from demo.documents import load_document_demo, load_signed_samples
from demo.plans import load_plan_demo
from demo.procedures import load_procedure_demo
from demo.reports import load_report_demo
from demo.units import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Nạp danh mục đơn vị thật và dữ liệu minh họa (người dùng cho mỗi vai trò). Chạy lại không sao."

    def handle(self, *args, **options):
        require_development()
        personas = load_demo(log=self.stdout.write)
        # Certificates before plans: the current plans are signed by their leaders and issued by
        # the văn thư as they are made.
        load_document_demo(log=self.stdout.write)
        load_plan_demo(log=self.stdout.write)
        load_city_plans(log=self.stdout.write)
        load_signed_samples(log=self.stdout.write)
        load_report_demo(log=self.stdout.write)
        load_city_reports(log=self.stdout.write)
        load_procedure_demo(log=self.stdout.write)
        self.stdout.write("")
        address = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
        self.stdout.write(self.style.SUCCESS(f"Cổng CCHC: {address}  —  tài khoản minh họa:"))
        width = max(len(p.username) for p in personas)
        for persona in personas:
            self.stdout.write(f"  {persona.username.ljust(width)}  {persona.describes}")
        self.stdout.write(f"  Mật khẩu chung: {DEMO_PASSWORD}")
        self.stdout.write("")
