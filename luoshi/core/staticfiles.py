"""Static files from npm packages (`vendor/…`, STATICFILES_DIRS) without the packages' own
metadata: only what a browser loads (scripts, styles, images, fonts) is found, so neither
runserver, WhiteNoise nor collectstatic serves a package.json, a README, a licence or a source
map (what versions and build paths they give away is no visitor's business)."""

from pathlib import PurePosixPath

from django.contrib.staticfiles.finders import FileSystemFinder
from whitenoise.storage import CompressedManifestStaticFilesStorage

VENDOR = "vendor/"
SERVED = {".js", ".mjs", ".css", ".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico"}
SERVED |= {".woff", ".woff2", ".ttf", ".eot", ".otf"}


def served(path: str) -> bool:
    """Whether a static path may be served: anything of our own, only loadable files of npm's."""
    path = path.replace("\\", "/")
    return not path.startswith(VENDOR) or PurePosixPath(path).suffix.lower() in SERVED


class StaticFinder(FileSystemFinder):
    """Django's finder over STATICFILES_DIRS, leaving out the npm packages' other files."""

    def find(self, path, find_all=False):
        if not served(path):
            return []
        return super().find(path, find_all)

    def list(self, ignore_patterns):
        for path, storage in super().list(ignore_patterns):
            prefix = (getattr(storage, "prefix", None) or "").strip("/")
            if served(f"{prefix}/{path}" if prefix else path):
                yield path, storage


def _without_source_maps(patterns):
    """The hashed storage's patterns without the `sourceMappingURL` ones: the npm files name maps
    that are not served, and those comments stay as they are (a browser's developer tools get a
    404 for them) instead of failing collectstatic."""
    kept = []
    for glob, rules in patterns:
        rules = tuple(
            r for r in rules if "sourceMappingURL" not in (r if isinstance(r, str) else r[0])
        )
        if rules:
            kept.append((glob, rules))
    return tuple(kept)


class ManifestStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, compressed storage (production), for files without their maps."""

    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
