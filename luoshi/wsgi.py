import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
application = get_wsgi_application()

# jieba's dictionary (about 70 MB) is loaded here, before gunicorn forks its workers (it runs with
# --preload, scripts/production.sh): they share the master's copy instead of each loading its
# own at its first search. Nothing start-up opened is carried into the workers.
from django.db import connections  # noqa: E402

from luoshi.search.words import load as load_search_words  # noqa: E402

load_search_words()
connections.close_all()

# What start-up loaded (Django, the apps, the URL patterns) lives as long as the worker: keep it
# out of the cyclic collector's scans, and collect the young generation less often (a page makes
# tens of thousands of short-lived objects, nearly none of them cyclic). W8: about 5% more
# requests per second (docs/capacity.md).
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 50, 100)
