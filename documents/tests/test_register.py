"""The register of outgoing documents: numbers per unit and year, never reused, never shared.

Numbers are taken by the văn thư when issuing (documents.services.take_number) or recorded for a
document issued on paper (record_paper_document); both go through the same locked counter."""

import datetime
import threading

import pytest
from django.conf import settings
from django.db import connections

from documents.models import DocumentType, OutgoingDocument
from documents.services import DocumentError, record_paper_document


def test_numbers_start_at_01_each_year_per_unit(world):
    day = datetime.date(2026, 3, 1)
    first = record_paper_document(world.commune_a, DocumentType.PLAN, issued_on=day, subject="A")
    second = record_paper_document(world.commune_a, DocumentType.REPORT, issued_on=day, subject="B")
    other_unit = record_paper_document(world.commune_b, DocumentType.PLAN, issued_on=day, subject="C")
    next_year = record_paper_document(
        world.commune_a, DocumentType.PLAN, issued_on=datetime.date(2027, 1, 1), subject="D"
    )
    assert [first.reference, second.reference] == ["01/KH-UBND", "02/BC-UBND"]
    assert other_unit.reference == "01/KH-UBND" and next_year.reference == "01/KH-UBND"


def test_a_back_dated_number_is_kept_and_later_numbers_follow(world):
    day = datetime.date(2022, 3, 24)
    old = record_paper_document(world.commune_a, DocumentType.PLAN, issued_on=day, subject="A", number=71)
    assert old.reference == "71/KH-UBND"
    assert record_paper_document(world.commune_a, DocumentType.PLAN, issued_on=day, subject="B").number == 72
    with pytest.raises(DocumentError, match="đã được cấp"):
        record_paper_document(world.commune_a, DocumentType.PLAN, issued_on=day, subject="C", number=71)


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="row locks are what is tested; SQLite serialises every writer anyway",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_documents_issued_at_the_same_instant_get_distinct_numbers():
    """Two real database connections race for the first number of the year."""
    from conftest import make_unit

    unit = make_unit("48", "Thành phố Đà Nẵng", "thanh-pho-tw")
    barrier = threading.Barrier(2)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def issue() -> None:
        try:
            barrier.wait(timeout=10)
            document = record_paper_document(
                unit, DocumentType.PLAN, issued_on=datetime.date(2026, 5, 5), subject="X"
            )
            numbers.append(document.number)
        except BaseException as exc:  # reported below, with the thread's own failure
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(numbers) == [1, 2]
    assert OutgoingDocument.objects.filter(unit=unit).count() == 2
