import io
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from luoshi.opinions import services
from tests.rectification.conftest import _media, campaign, people  # noqa: F401

GPS_IFD = 0x8825
MAKE = 0x010F


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def jpeg_with_location(name="现场.jpg", size=(64, 48)) -> SimpleUploadedFile:
    """A real JPEG carrying a camera make and a GPS position in its EXIF."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE] = "SpyCam"
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (38.0, 29.0, 12.5)
    gps[3], gps[4] = "E", (106.0, 13.0, 40.0)
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def png(name="照片.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture
def submit(tree, campaign):  # noqa: F811
    """Submit an online opinion to an organisation (branch a1 by default); returns (opinion,
    code)."""

    def _submit(org=None, text="小区路灯坏了两个月没人修", **extra):
        return services.submit_public_opinion(
            org=org or tree.branch_a1, topic=extra.pop("topic", "livelihood"), text=text, **extra
        )

    return _submit


@pytest.fixture
def office(tree, people):  # noqa: F811
    return SimpleNamespace(
        branch=people.branch_a1,  # liaison of branch a1
        county=people.county_office_a,  # office of county a
        city=people.office,
        leader=people.leader,
        other_branch=people.branch_b1,
    )
