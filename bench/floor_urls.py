"""The project's URLs plus the benchmarks' floor: a page that renders the base layout for the
logged-in user (header, menu, messages) and does no data work."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from cchc_portal.urls import urlpatterns as project


@login_required
def floor(request):
    return render(request, "base.html", {})


urlpatterns = [path("__floor__/", floor), *project]
