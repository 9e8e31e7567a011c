from django.shortcuts import render
from django.views.decorators.http import require_GET

from luoshi.search import selectors

MAX_QUERY = 100


@require_GET
def search(request):
    """The global search (/search/?q=): the user's hits in every kind of record, grouped."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    groups = selectors.search(request.user, query) if query else []
    words, chars = selectors.split_words(query) if query else ([], [])
    context = {"query": query, "groups": groups, "words": words + chars}
    return render(request, "search/results.html", context)
