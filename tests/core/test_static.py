"""Static files from npm: what the pages load is served, the packages' metadata is not."""

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

# A request's end closes stale database connections (Django's request_finished): with a
# connection left open by an earlier test in the same process, that touches the database.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "vendor/echarts/package.json",
        "vendor/echarts/echarts.js.map",
        "vendor/tabler/js/tabler.min.js.map",
        "vendor/htmx/htmx.esm.d.ts",
    ],
)
def test_vendor_package_metadata_and_source_maps_are_404(path):
    assert finders.find(path) is None
    assert Client().get(f"/static/{path}").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["vendor/echarts/echarts.min.js", "vendor/tabler/css/tabler.min.css", "luoshi/luoshi.js"],
)
def test_the_files_the_pages_load_are_served(path):
    response = Client().get(f"/static/{path}")
    assert response.status_code == 200
    response.close()
