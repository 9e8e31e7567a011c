"""Chinese full-text search: ranked search over the city's problems and opinions, our selector
against the database's own full-text query, on SQLite (FTS5, bm25) and PostgreSQL (tsvector,
ts_rank).

For each query, as the city office (whole tree in scope), times:
- ours: `search.selectors.search(user, q, kinds=problem,opinion)`: jieba cuts the query, the
  scoped ORM query ranks the best 21 of each kind (what /search/ runs);
- floor: the database's own ranked full-text query for the same words (pre-cut), raw SQL on
  the index, the best 21 of each kind, no scoping;
- like: the substring scan the ledger used before (every word LIKE '%w%' over the problems'
  title and description and the opinions' text), for scale.
Prints medians (warm, after one warm-up) and ours / floor; checks ours finds the floor's hits.

    bench/search.py                       # both databases, city scale
    bench/search.py --db postgres --reuse # re-use bench_search_city if it holds data
    bench/search.py --smoke               # tiny seed in a temporary SQLite folder, one run
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    DATABASES,
    LUOSHI,
    PG,
    PG_URL,
    VENV_PYTHON,
    migrate_and_seed,
    print_and_exit,
    setup_django,
    summary,
    timed,
)

QUERIES = ["路灯 村口", "营商 环境", "环境 营商", "整改", "服务 群众", "形式主义", "办事 跑腿"]
KINDS = ("problem", "opinion")
TOP = 21


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def psql(sql: str, db: str = "postgres") -> str:
    done = subprocess.run([*PG, "-d", db, "-c", sql], check=True, capture_output=True, timeout=60)
    return done.stdout.decode().strip()


def run(args: list[str], env: dict) -> str:
    done = subprocess.run(args, env=env, cwd=env["LUOSHI_VAR"], capture_output=True)
    if done.returncode:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-15:]
        raise RuntimeError(
            f"{' '.join(args)} exited with {done.returncode}:\n  " + "\n  ".join(tail)
        )
    return done.stdout.decode()


def prepare(db: str, scale: str, reuse: bool, var: Path) -> dict:
    """An environment pointing at a database seeded at `scale` (seeded unless reused)."""
    env = {**os.environ, "LUOSHI_VAR": str(var)}
    env.pop("DATABASE_URL", None)
    name = f"bench_search_{scale}"
    if db == "postgres":
        env["DATABASE_URL"] = PG_URL + name
    if reuse and (var / "seeded").exists():
        log(f"{db}: re-using the {scale} seed")
        run([LUOSHI, "migrate", "-v0"], env)
        return env
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    if db == "postgres":
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        psql(f"CREATE DATABASE {name}")
    log(f"{db}: migrating and seeding {scale} ...")
    started = time.perf_counter()
    migrate_and_seed(env, scale, cwd=env["LUOSHI_VAR"])
    if db == "postgres":
        psql("ANALYZE", name)
    (var / "seeded").write_text(scale)
    log(f"{db}: seeded in {time.perf_counter() - started:.0f}s")
    return env


# --- the child: one database, measured in a process of its own --------------------------------
def floor_sql(vendor: str) -> str:
    if vendor == "postgresql":
        return (
            "SELECT e.object_id FROM search_searchentry e "
            "WHERE e.kind = %s AND e.tsv @@ plainto_tsquery('simple', %s) "
            "ORDER BY ts_rank(e.tsv, plainto_tsquery('simple', %s)) DESC, e.id DESC LIMIT %s"
        )
    return (
        "SELECT e.object_id FROM search_fts JOIN search_searchentry e ON e.id = search_fts.rowid "
        "WHERE e.kind = %s AND search_fts MATCH %s ORDER BY bm25(search_fts), e.id DESC LIMIT %s"
    )


def like_sql(words: list[str]) -> tuple[str, str, list]:
    problems = " AND ".join(["(title LIKE %s OR description LIKE %s)"] * len(words))
    opinions = " AND ".join(["text LIKE %s"] * len(words))
    params = [f"%{w}%" for w in words]
    return (
        f"SELECT id FROM rectification_problem WHERE {problems} ORDER BY id DESC LIMIT {TOP}",
        f"SELECT id FROM opinions_opinion WHERE {opinions} ORDER BY id DESC LIMIT {TOP}",
        params,
    )


def child(args) -> dict:
    setup_django()
    from django.db import connection

    from luoshi.core.scoping import SYSTEM
    from luoshi.search import selectors
    from luoshi.search.models import SearchEntry
    from luoshi.search.words import query_words

    vendor = connection.vendor
    sql = floor_sql(vendor)

    def floor(query: str) -> dict:
        words = selectors.split_words(query)[0]
        found = {}
        with connection.cursor() as cursor:
            for kind in KINDS:
                if vendor == "postgresql":
                    params = [kind, " ".join(words), " ".join(words), TOP]
                else:
                    params = [kind, selectors._fts_query(words), TOP]
                cursor.execute(sql, params)
                found[kind] = [r[0] for r in cursor.fetchall()]
        return found

    def ours(query: str) -> dict:
        groups = selectors.search(SYSTEM, query, kinds=KINDS, per_kind=TOP)
        return {g.kind: [h.object_id for h in g.hits] for g in groups}

    def like(query: str) -> int:
        problems, opinions, params = like_sql(query_words(query))
        with connection.cursor() as cursor:
            cursor.execute(problems, [p for p in params for _ in (0, 1)])
            n = len(cursor.fetchall())
            cursor.execute(opinions, params)
            return n + len(cursor.fetchall())

    rows = []
    for query in QUERIES:
        ours_hits, floor_hits = ours(query), floor(query)
        row = {"query": query, "hits": {k: len(v) for k, v in floor_hits.items()}}
        row["same_hits"] = all(
            set(ours_hits.get(k, [])) == set(v) or len(v) >= TOP for k, v in floor_hits.items()
        )
        for name, fn in (("ours", ours), ("floor", floor), ("like", like)):
            row[name] = summary(timed(lambda fn=fn, q=query: fn(q), args.runs))["median_ms"]
        row["ratio"] = row["ours"] / row["floor"] if row["floor"] else None
        rows.append(row)
    return {"db": args.db[0], "entries": SearchEntry.objects.count(), "queries": rows}


def report(results: list[dict]) -> str:
    blocks = []
    for r in results:
        if "error" in r:
            blocks.append(f"{r['db']}: FAILED: {r['error']}")
            continue
        lines = [f"== {r['db']} ({r['entries']:,} entries; medians in ms, warm)"]
        lines.append(
            f"{'query':<12} {'hits p/o':>9} {'ours':>8} {'floor':>8} {'ratio':>6} {'LIKE':>8}"
        )
        for q in r["queries"]:
            hits = f"{q['hits'].get('problem', 0)}/{q['hits'].get('opinion', 0)}"
            ratio = f"{q['ratio']:.1f}" if q["ratio"] else "-"
            lines.append(
                f"{q['query']:<12} {hits:>9} {q['ours']:>8.2f} {q['floor']:>8.2f} {ratio:>6} "
                f"{q['like']:>8.2f}"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def failures(results: list[dict]) -> list[str]:
    found = [f"{r['db']}: {r['error']}" for r in results if "error" in r]
    for r in results:
        found += [
            f"{r['db']} {q['query']}: ours and the floor found other hits"
            for q in r.get("queries", [])
            if not q["same_hits"]
        ]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=DATABASES, action="append")
    parser.add_argument("--scale", choices=("tiny", "city"), default="city")
    parser.add_argument("--reuse", action="store_true", help="keep a database already seeded")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny seed, SQLite, one run")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.db = args.db or list(DATABASES)
    if args.child:
        print(json.dumps(child(args)))
        return
    smoke = None
    if args.smoke:
        args.db, args.scale, args.runs, args.reuse = ["sqlite"], "tiny", 1, False
        smoke = Path(tempfile.mkdtemp(prefix="bench-search-smoke-"))
    results = []
    try:
        for db in args.db:
            var = smoke or Path(tempfile.gettempdir()) / f"bench-search-{db}-{args.scale}"
            try:
                env = prepare(db, args.scale, args.reuse, var)
                command = [str(VENV_PYTHON), __file__, "--child", "--db", db, "--runs"]
                results.append(json.loads(run([*command, str(args.runs)], env)))
            except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as exc:
                results.append({"db": db, "error": str(exc)})
    finally:
        if smoke:
            shutil.rmtree(smoke, ignore_errors=True)
    print_and_exit(results, failures(results), as_json=args.json, report=report)


if __name__ == "__main__":
    main()
