import pytest

from demo.procedures import load_procedure_demo
from procedures.listing import listing_share
from procedures.models import ImportBatch, Procedure

pytestmark = pytest.mark.django_db


def test_the_demo_catalogue(world):
    lines = []
    load_procedure_demo(log=lines.append)
    assert Procedure.objects.count() == 271
    listed, handled = listing_share(world.commune_a)
    assert 0 < listed < handled
    load_procedure_demo(log=lines.append)
    assert ImportBatch.objects.count() == 1 and "giữ nguyên" in lines[-1]
