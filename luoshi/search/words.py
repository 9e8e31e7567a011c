"""Chinese words, as jieba cuts them: what a search entry's tokens are and what a query asks.

A document is cut in jieba's search mode (the words and the dictionary words inside long ones,
so that 营商环境 is found by 营商 and by 环境); a query is cut in the precise mode, and every word
it holds must be in the document, in any order. Punctuation and spaces are no words."""

import logging
import re
import warnings
from functools import cache, lru_cache

# A word is made of letters, digits or CJK characters; anything else (punctuation, spaces) is not.
_WORDLIKE = re.compile(r"\w", re.UNICODE)
# Words of the campaign that jieba's dictionary cuts apart; kept whole (their parts are kept too,
# by the search mode).
CAMPAIGN_WORDS = (
    "主题教育", "立查立改", "立行立改", "举一反三", "建章立制", "销号", "整改台账", "问题清单",
    "营商环境", "软弱涣散", "专项整治", "调查研究", "集体自学", "交流研讨", "专题党课", "主题党日",
    "为民服务", "基层减负", "形式主义", "官僚主义", "村口", "路灯",
)  # fmt: skip


@cache
def _jieba():
    with warnings.catch_warnings():  # jieba 0.42's regular expressions use "\." in plain strings
        warnings.simplefilter("ignore", SyntaxWarning)
        import jieba
    jieba.setLogLevel(logging.WARNING)
    for word in CAMPAIGN_WORDS:
        jieba.add_word(word)
    return jieba


def _kept(words) -> list[str]:
    return [w.lower() for w in (w.strip() for w in words) if w and _WORDLIKE.search(w)]


def document_tokens(*texts: str) -> str:
    """The words of the texts, space separated, as the index stores them."""
    return " ".join(_tokens(text) if len(text) <= 500 else _cut(text) for text in texts if text)


def _cut(text: str) -> str:
    return " ".join(_kept(_jieba().cut_for_search(text)))


# Many records repeat a short text (a measure copied to several branches, the seed's wordings):
# each is cut once while it is among the recent ones.
_tokens = lru_cache(maxsize=2048)(_cut)


def query_words(query: str) -> list[str]:
    """The words a query asks for (each once, in order): "路灯 村口" -> ["路灯", "村口"]."""
    jieba = _jieba()
    seen: dict[str, None] = {}
    for part in query.split():
        for word in _kept(jieba.cut(part)):
            seen.setdefault(_WORD_CHARS.sub("", word) or word, None)
    return [w for w in seen if w]


# Only letters, digits and CJK characters reach a full-text query (no operators, no quotes).
_WORD_CHARS = re.compile(r"[^\w]|_", re.UNICODE)


def load() -> None:
    """Load jieba's dictionary now rather than at the first search: the web server's master
    process calls it before it forks its workers, so that they share one copy (luoshi/wsgi.py)."""
    query_words("主题教育 营商环境")
