"""Login throttling (django-axes) that a stranger cannot turn against an officer.

Failures are counted in two buckets (AXES_LOCKOUT_PARAMETERS): a username from one address, locked
after AXES_FAILURE_LIMIT failures, and an address whatever the usernames, locked only after
CCHC_ADDRESS_FAILURE_LIMIT, so that guessing across many accounts from one address is stopped
too while an office behind one address survives a few mistyped passwords. axes compares one
number with one limit, so each bucket's count is scaled to AXES_FAILURE_LIMIT before the larger
is taken. A successful login clears only that username's own failures from that address, never
the address's other ones (somebody's success must not wipe a stranger's guesses).
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def _per_address(parameter: str | list[str]) -> bool:
    return parameter == "ip_address" or parameter == ["ip_address"]


class LoginThrottle(AxesDatabaseHandler):
    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        limit = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if _per_address(parameter):
                failures = failures * limit // settings.CCHC_ADDRESS_FAILURE_LIMIT
            worst = max(worst, failures)
        return worst

    def reset_user_attempts(self, request: Any, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count
