"""The ``searchkit`` command: a thin layer over the library.

Each command parses its options, calls the library and formats the result. Library errors
are caught once, in :func:`main`, and printed as one line on stderr.

Exit codes: 0 success; 1 an error (bad input, missing index, locked index...); 2 a usage
error (unknown option, bad value); 3 nothing found, only when ``search --fail-empty`` asks
for it; 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO, get_args

from . import output
from ._formats import Format as _Format
from ._version import __version__
from .dates import parse_date
from .errors import IndexNotFoundError, IndexOptionError, QuerySyntaxError, ReadError, SearchkitError

# Start-up: `searchkit --help` must stay under a quarter of a second, so the top of this module
# imports only light modules. Import the library (index, ingest, follow, protocol, opensearch,
# server; numpy, Whoosh and pydantic behind them) and orjson inside the functions that use it:
# tests/test_startup.py fails when --help or --version loads numpy, whoosh or pydantic.
if TYPE_CHECKING:
    from .follow import Round
    from .index import Index
    from .ingest import ArticleReader, WhooshReader
    from .protocol import SearchIndex

__all__ = ["main"]

EXIT_ERROR, EXIT_USAGE, EXIT_EMPTY = 1, 2, 3
DEFAULT_INDEX = "indexes/default"
COMMIT_EVERY, COMMIT_INTERVAL = 10_000, 60.0  # `index` commits as it goes: a killed run keeps its work
DEMO_QUERIES = ('flood damage', '"electric buses"', 'budget fares')


def _date_arg(text: str) -> date:
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _whole(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"{value} must be {low} or more")
    return value


def _positive(text: str) -> int:
    return _whole(text, 1)


def _facets_arg(text: str) -> bool | tuple[str, ...]:
    """``--facets``: all, none, or facet names separated by commas (checked by the search)."""
    word = text.strip().lower()
    if word in ("all", "none"):
        return word == "all"
    return tuple(name.strip() for name in text.split(","))


def _replicas(text: str) -> int:
    return _whole(text, 0)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} must be 0 or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return value


def _port(text: str) -> int:
    value = _count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port; use 0 to 65535")
    return value


def _above_zero(text: str) -> float:
    value = _seconds(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


def _mapping(text: str) -> tuple[str, str]:
    from .ingest import DEFAULT_FIELD_MAP

    field, sep, key = text.partition("=")
    field, key = field.strip(), key.strip()
    if not sep or not key or field not in DEFAULT_FIELD_MAP:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not FIELD=COLUMN with FIELD one of {', '.join(DEFAULT_FIELD_MAP)} (e.g. headline=Title)"
        )
    return field, key


def _field_map(pairs: Sequence[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """``--map`` pairs as a field map: each named field reads exactly the columns (JSON keys)
    given for it, in order; a column mapped here is dropped from the other fields' aliases."""
    from .ingest import DEFAULT_FIELD_MAP

    chosen: dict[str, tuple[str, ...]] = {}
    for field, key in pairs:
        chosen[field] = (*chosen.get(field, ()), key)
    taken = {key for keys in chosen.values() for key in keys}
    return {field: chosen.get(field, tuple(key for key in keys if key not in taken))
            for field, keys in DEFAULT_FIELD_MAP.items()}


def _duration(text: str) -> float:
    """Seconds from ``90``, ``30s``, ``10m``, ``1h`` or ``1.5h``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], text[-1].lower()) if text[-1:].lower() in units else (text, "s")
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration; write it like 90, 30s, 10m or 1h") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be above 0")
    return value


def _index_path(args: argparse.Namespace) -> Path:
    from .index import resolve_index_path

    return resolve_index_path(_target(args))


def _target(args: argparse.Namespace) -> str:
    return str(args.index or os.environ.get("SEARCHKIT_INDEX") or DEFAULT_INDEX)


def _open(args: argparse.Namespace, *, create: bool = False, lock_timeout: float | None = None) -> SearchIndex:
    """The index ``--index`` (or ``$SEARCHKIT_INDEX``) names; see :func:`_open_target`."""
    stories = False if getattr(args, "no_stories", False) else None
    return _open_target(_target(args), create=create, lock_timeout=lock_timeout, layout=_layout(args), stories=stories)


def _layout(args: argparse.Namespace) -> tuple[int | None, int | None]:
    """``--shards`` and ``--replicas``, where the command has them."""
    return getattr(args, "shards", None), getattr(args, "replicas", None)


def _open_target(target: str, *, create: bool = False, lock_timeout: float | None = None,
                 layout: tuple[int | None, int | None] = (None, None), stories: bool | None = None) -> SearchIndex:
    """An ``http(s)://host:port/name`` target is an OpenSearch index, anything else a folder (or a
    bare name under indexes/). ``create``: make it when absent, with ``layout``'s shards and
    replicas (default 3 and 1), which only a cluster index being created takes, and a folder
    index with ``stories`` (``--no-stories``; None: the default, or whatever the index has)."""
    from .index import Index, resolve_index_path
    from .opensearch.connection import is_index_url

    shards, replicas = layout
    given = shards is not None or replicas is not None
    if is_index_url(target):
        from .opensearch import OpenSearchIndex

        if stories is not None:
            raise IndexOptionError(f"--no-stories applies to a folder index, not the cluster index {_where(target)}")
        try:
            opened = OpenSearchIndex.open(target)
        except IndexNotFoundError:
            if not create:
                raise
            return OpenSearchIndex.create(target, shards=3 if shards is None else shards,
                                          replicas=1 if replicas is None else replicas)
        if given:
            opened.close()
            raise IndexOptionError(f"--shards and --replicas apply when a cluster index is created; {opened.url} "
                                   "already exists (to change its shards, rebuild it: searchkit reindex URL URL --shards N)")
        return opened
    if given:
        raise IndexOptionError(f"--shards and --replicas apply to a cluster index (an http(s):// URL), not the folder {target}")
    path = resolve_index_path(target)
    if create:
        return Index.open_or_create(path, lock_timeout=30.0 if lock_timeout is None else lock_timeout,
                                    **({} if stories is None else {"stories": stories}))
    return Index.open(path) if lock_timeout is None else Index.open(path, lock_timeout=lock_timeout)


def _where(target: str) -> str:
    """The index a target names, comparable and without credentials."""
    from .index import resolve_index_path
    from .opensearch.connection import is_index_url, parse_index_url

    return parse_index_url(target).display if is_index_url(target) else str(resolve_index_path(target).resolve())


def _label(index: SearchIndex) -> str:
    """A folder index's path, a cluster index's URL (without credentials)."""
    from .index import Index

    return str(index.path) if isinstance(index, Index) else index.stats().path


def cli_wording(message: str) -> str:
    """A library error message with its hints in the command's terms: ``pass format='text'``
    becomes ``pass --format text``, ``raise lock_timeout`` becomes ``raise --lock-timeout``."""
    for pattern, replacement in _LIBRARY_HINTS:
        message = pattern.sub(replacement, message)
    return message


_LIBRARY_HINTS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"\bpass format=((?:'\w+'(?:, | or )?)+)"),
     lambda m: "pass --format " + m.group(1).replace("'", "")),
    (re.compile(r"\braise lock_timeout\b"), lambda m: "raise --lock-timeout"),
    (re.compile(r"\bcreate one with Index\.create or `searchkit index`"), lambda m: "create one with `searchkit index`"),
]


# Commands


def cmd_index(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import orjson

    from .index import Index
    from .ingest import ArticleReader, read_articles, read_whoosh
    from .opensearch.connection import is_index_url

    target = _target(args)
    if args.watch and is_index_url(target):
        raise IndexOptionError(f"--watch needs a folder index; {_where(target)} is on a cluster: index into a folder, "
                               "or run `searchkit index` again to add what changed")
    # bad paths fail before the index is made
    reader: ArticleReader | WhooshReader
    if args.from_whoosh is not None:
        reader = read_whoosh(args.from_whoosh, field_map=_field_map(args.map or []), indexname=args.whoosh_index)
    else:
        reader = read_articles(args.paths, format=args.format, exclude=args.exclude or (),
                               field_map=_field_map(args.map or []))
    index = _open(args, create=True, lock_timeout=args.lock_timeout)
    watchers = _watchers(args, index) if args.watch and isinstance(index, Index) else []  # before reading: later changes are seen
    total = None
    if isinstance(reader, ArticleReader) and not args.quiet:
        total = sum(1 for _ in reader.files())  # counted first, for the percentage and the time left
    bar = output.ProgressLine(err, enabled=not args.quiet, total=total,
                              files_done=(lambda: reader.files_read) if isinstance(reader, ArticleReader) else None,
                              color=output.use_color(err, getattr(args, "color", "auto")))
    if isinstance(index, Index):
        report = index.add_many(reader, progress=bar.update, commit_every=args.commit_every or None,
                                commit_interval=args.commit_interval or None)
    else:  # a cluster makes each bulk durable as it goes
        report = index.add_many(reader, progress=bar.update)
    bar.finish()
    err.writelines(f"searchkit index: warning: {warning}\n" for warning in reader.warnings)
    folder = index.path if isinstance(index, Index) else None  # a cluster's rejections are printed only
    rejected_file = output.write_rejections(folder, report.rejected) if report.rejected and folder else None
    if args.json:
        data = report.model_dump(mode="json")
        data["rejected_file"] = str(rejected_file) if rejected_file else None
        data["warnings"] = list(reader.warnings)
        data["skipped"] = [{"path": str(s.path), "rule": s.rule, "pattern": s.pattern, "reason": s.reason}
                           for s in reader.skipped]
        out.write(orjson.dumps(data).decode() + "\n")
    else:
        out.write(output.index_summary(report, folder or _label(index), rejected_file, skipped=reader.skipped))
    if args.watch:
        return _watch(args, watchers, out)
    return 0


def _watchers(args: argparse.Namespace, index: Index) -> list[tuple[threading.Event, Iterator[Round]]]:
    from .follow import watch

    folders = [Path(p) for p in args.paths if Path(p).is_dir()]
    if not args.paths or len(folders) != len(args.paths):
        raise ReadError("--watch needs folders to watch; a file or glob given with it cannot be watched")
    stop = threading.Event()
    return [(stop, watch(index, folder, every=args.every, stop=stop, format=args.format,
                         exclude=args.exclude or ())) for folder in folders]


def _watch(args: argparse.Namespace, watchers: list[tuple[threading.Event, Iterator[Round]]], out: TextIO) -> int:
    """``index --watch``: index what appears or changes in the folders until Ctrl-C."""
    out.write(f"watching {', '.join(args.paths)} every {args.every:g}s; Ctrl-C stops\n")
    out.flush()
    with _stop_on_interrupt(watchers[0][0]) as stop:
        while not stop.is_set():
            for _, rounds in watchers:
                done = next(rounds, None)
                if done is None:
                    stop.set()
                elif done.sources:
                    _print_round(done, out, as_json=args.json)
    out.write("stopped watching\n")
    return 0


@contextlib.contextmanager
def _stop_on_interrupt(stop: threading.Event | None = None) -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C (SIGINT); a second one interrupts at once."""
    stop = stop or threading.Event()

    def first(signum: int, frame: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def _print_round(done: Round, out: TextIO, *, as_json: bool) -> None:
    import dataclasses

    import orjson

    if as_json:
        data = {"round": done.number, "started": done.started.isoformat(timespec="seconds"), "added": done.added,
                "sources": [dataclasses.asdict(report) for report in done.sources]}
        out.write(orjson.dumps(data).decode() + "\n")
    else:
        out.write(f"{done}\n")
    out.flush()


def cmd_follow(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .follow import follow
    from .index import Index

    index = Index.open_or_create(_index_path(args), lock_timeout=args.lock_timeout)
    total = rounds = 0
    with _stop_on_interrupt() as stop:
        for done in follow(index, args.sources, every=args.every, rounds=args.rounds, stop=stop, timeout=args.timeout):
            _print_round(done, out, as_json=args.json)
            total += done.added
            rounds += 1
    if not args.json:
        out.write(f"stopped after {rounds} round(s); added {total} in all to {index.path}\n")
    return 0


def cmd_search(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    index = _open(args)
    results = index.search(
        args.query, sources=args.source or None, since=args.since, until=args.until, sort=args.sort,
        limit=args.limit, page=args.page, cursor=args.cursor, date_interval=args.interval,
        mode=args.mode, strict=args.strict, recency=args.recency, diversify=args.diversify, explain=args.explain,
        collapse=args.collapse, facet_counts=args.facet_counts, facets=args.facets,
    )
    if args.json:
        out.write(results.to_json() + "\n")
    else:
        color = output.use_color(out, args.color)
        filtered = bool(args.source or args.since or args.until)
        out.write(output.search_results(results, color=color, continued=args.cursor is not None, filtered=filtered))
    return EXIT_EMPTY if args.fail_empty and results.total == 0 else 0


def cmd_related(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    results = _open(args).related(args.id, mode=args.mode, limit=args.limit, sources=args.source or None,
                                  since=args.since, until=args.until)
    if args.json:
        out.write(results.to_json() + "\n")
    else:
        out.write(output.search_results(results, color=output.use_color(out, args.color)))
    return 0


def cmd_stories(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    stories = _open(args).stories(args.query, since=args.since, until=args.until, sources=args.source or None,
                                  limit=args.limit)
    if args.json:
        import orjson

        out.write(orjson.dumps({"query": args.query, "stories": [s.model_dump(mode="json") for s in stories]}).decode()
                  + "\n")
    else:
        out.write(output.stories_text(stories, args.query, color=output.use_color(out, args.color)))
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    article = _open(args).get(args.id)
    if article is None:
        err.write(f"searchkit show: no article with id {args.id!r}\n")
        return EXIT_ERROR
    out.write(article.to_json().decode() + "\n" if args.json else output.article_text(article))
    return 0


def cmd_delete(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import orjson

    index = _open(args, lock_timeout=args.lock_timeout)
    missing = [article_id for article_id in args.ids if article_id not in index]
    deleted = index.delete(args.ids)
    if args.json:
        data = {"deleted": deleted, "requested": len(set(args.ids)), "not_found": missing}
        out.write(orjson.dumps(data).decode() + "\n")
    else:
        out.write(f"deleted {deleted} of {len(set(args.ids))} articles" + (f"; not found: {', '.join(missing)}" if missing else "") + "\n")
    return 0 if deleted else EXIT_ERROR


def cmd_stats(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    stats = _open(args).stats()
    out.write(stats.model_dump_json() + "\n" if args.json else output.stats_text(stats))
    return 0


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import orjson

    index = _open(args)
    count = 0
    with contextlib.ExitStack() as stack:
        if args.output:
            sink: BinaryIO = stack.enter_context(open(args.output, "wb"))
        else:
            out.flush()
            sink = out.buffer
        for article in index.articles():
            sink.write(article.to_json() + b"\n")
            count += 1
        sink.flush()
    if args.json and args.output:  # without --output, stdout already is the articles as JSON Lines
        out.write(orjson.dumps({"exported": count, "output": str(args.output)}).decode() + "\n")
    else:
        err.write(f"exported {count} articles" + (f" to {args.output}" if args.output else "") + "\n")
    return 0


def cmd_reindex(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Copy every article of SOURCE into TARGET (folder or cluster, either way), creating TARGET when absent."""
    import orjson

    from .opensearch.connection import is_index_url

    source_where, target_where = _where(args.source), _where(args.target)
    if source_where == target_where and is_index_url(args.source):
        return _rebuild(args, out, err, source_where)
    if source_where == target_where:
        raise IndexOptionError(f"source and target are the same index ({source_where}); name another target "
                               "(a cluster index is rebuilt in place when its URL is given twice)")
    with contextlib.ExitStack() as stack:
        source = _open_target(args.source)
        stack.callback(source.close)
        target = _open_target(args.target, create=True, lock_timeout=args.lock_timeout, layout=_layout(args))
        stack.callback(target.close)
        held = len(target)
        if held and not args.into_existing:
            raise IndexOptionError(
                f"the target {target_where} already holds {held:,} articles; pass --into-existing to add "
                "SOURCE's articles to them (same ids are replaced), or name a new or empty target")
        bar = output.ProgressLine(err, enabled=not args.quiet, color=output.use_color(err, args.color))
        report = target.add_many(source.articles(), progress=bar.update)
        bar.finish()
    if args.json:
        data = report.model_dump(mode="json")
        data["source"], data["target"] = source_where, target_where
        out.write(orjson.dumps(data).decode() + "\n")
    else:
        out.write(f"reindexed {source_where} into {target_where}\n")
        out.write(output.index_summary(report, target_where, None))
    return 0 if not report.rejected else EXIT_ERROR


def _rebuild(args: argparse.Namespace, out: TextIO, err: TextIO, where: str) -> int:
    """``searchkit reindex URL URL``: rebuild a cluster index in place (OpenSearchIndex.rebuild)."""
    import orjson

    from .opensearch import OpenSearchIndex

    bar = output.ProgressLine(err, enabled=not args.quiet, color=output.use_color(err, args.color))
    shards, replicas = _layout(args)
    report = OpenSearchIndex.rebuild(args.source, shards=shards, replicas=replicas, progress=bar.update)
    bar.finish()
    if args.json:
        data = report.model_dump(mode="json")
        data["source"] = data["target"] = where
        out.write(orjson.dumps(data).decode() + "\n")
    else:
        out.write(f"rebuilt {where} (a new index behind the same name)\n")
        out.write(output.index_summary(report, where, None))
    return 0 if not report.rejected else EXIT_ERROR


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .index import check
    from .opensearch.connection import is_index_url

    report = _open(args).check() if is_index_url(_target(args)) else check(_index_path(args))
    out.write(report.model_dump_json() + "\n" if args.json else output.check_text(report))
    return 0 if report.ok else EXIT_ERROR


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from importlib import resources

    import orjson

    from .index import Index, resolve_index_path
    from .ingest import read_articles

    path = resolve_index_path(args.index or "indexes/demo")
    samples = resources.files("searchkit") / "samples"
    with resources.as_file(samples) as folder:
        index = Index.open_or_create(path)
        report = index.add_many(read_articles(folder))
    if args.json:
        searches = [{"query": query, "results": index.search(query, limit=3).model_dump(mode="json")} for query in DEMO_QUERIES]
        data = {"index": str(index.path), "report": report.model_dump(mode="json"), "searches": searches}
        out.write(orjson.dumps(data).decode() + "\n")
        return 0
    color = output.use_color(out, args.color)
    out.write(output.index_summary(report, index.path, None))
    for query in DEMO_QUERIES:
        out.write(f"\n$ searchkit search {query!r} --index {path}\n")
        out.write(output.search_results(index.search(query, limit=3), color=color))
    out.write(f"\nTry your own: searchkit search 'wildfire' --index {path} --sort newest\n")
    return 0


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .server import ServerSettings, read_token  # the server extra is optional
    from .server.run import serve
    from .server.settings import READ_TOKEN_ENV
    from .index import Index, resolve_index_path

    settings = ServerSettings(
        token=read_token(args.token_file), read_token=read_token(args.read_token_file, env=READ_TOKEN_ENV),
        cors_origins=tuple(args.cors_origin or ()), max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        time_limit=args.time_limit, lock_timeout=args.lock_timeout,
    )
    target = args.index or os.environ.get("SEARCHKIT_INDEX") or DEFAULT_INDEX
    if "://" in target:
        from .protocol import open_index

        index = open_index(target)
    else:
        index = Index.open(resolve_index_path(target), lock_timeout=args.lock_timeout)
    serve(index, settings, host=args.host, port=args.port, err=err, out=out if args.json else None,
          access_log=args.access_log)
    return 0


# Parser


def build_parser() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--index", metavar="DIR_OR_URL", help=f"index folder, a bare name under indexes/, or an OpenSearch index "
                        f"URL http(s)://host:port/name (default: $SEARCHKIT_INDEX or {DEFAULT_INDEX})")
    shared.add_argument("--json", action="store_true", help="print machine-readable JSON")
    shared.add_argument("--debug", action="store_true", help="show tracebacks")
    shared.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="ANSI colour (auto: on a terminal unless NO_COLOR is set)")
    shared.add_argument("--lock-timeout", type=_seconds, default=30.0, metavar="SECONDS", help="how long a write waits for the index lock (default 30)")

    parser = argparse.ArgumentParser(prog="searchkit", description="Full-text search over news articles.")
    parser.add_argument("--version", action="version", version=f"searchkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def cluster_layout(p: argparse.ArgumentParser) -> None:
        p.add_argument("--shards", type=_positive, metavar="N",
                       help="primary shards of a cluster index this command creates (default 3)")
        p.add_argument("--replicas", type=_replicas, metavar="N",
                       help="replicas of a cluster index this command creates (default 1)")

    def command(name: str, help: str, example: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=[shared], help=help, description=help,
                                   epilog=f"example:\n  {example}", formatter_class=argparse.RawDescriptionHelpFormatter)

    p = command("index", "Add articles from files, folders or globs (re-adding changes nothing).", "searchkit index articles/ feed.jsonl --index news")
    read = p.add_mutually_exclusive_group(required=True)
    read.add_argument("paths", nargs="*", default=[], metavar="PATH")
    read.add_argument("--from-whoosh", type=Path, metavar="FOLDER",
                      help="read the stored documents of the Whoosh index in FOLDER instead of files "
                           "(--map headline=title maps its fields; only stored fields can be read)")
    p.add_argument("--whoosh-index", metavar="NAME", help="the Whoosh index name in that folder (default MAIN)")
    cluster_layout(p)
    p.add_argument("--format", choices=get_args(_Format), default="auto",
                   help="read every file in this format (default auto: by extension, and .xml by content)")
    p.add_argument("--map", action="append", type=_mapping, metavar="FIELD=COLUMN",
                   help="read FIELD from this CSV column or JSON key instead of its usual names "
                        "(repeatable; e.g. --map headline=Title --map body=Story)")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--exclude", action="append", metavar="PATTERN",
                   help="skip files and folders whose name or path below the folder matches this glob "
                        "(repeatable; README*, LICENSE*, *.md... are skipped anyway unless named)")
    p.add_argument("--commit-every", type=_count, default=COMMIT_EVERY, metavar="N",
                   help=f"commit after every N articles read, so a killed run keeps them (default {COMMIT_EVERY:,}; 0: only at the end)")
    p.add_argument("--commit-interval", type=_seconds, default=COMMIT_INTERVAL, metavar="SECONDS",
                   help=f"also commit when SECONDS have passed since the last commit (default {COMMIT_INTERVAL:g}; 0: never)")
    p.add_argument("--watch", action="store_true",
                   help="then keep indexing files that appear or change in the folders, until Ctrl-C")
    p.add_argument("--no-stories", action="store_true",
                   help="create the index without news stories (faster, less memory; `story`, `stories` and "
                        "--collapse story then refuse); kept in the index, which cannot change it later")
    p.add_argument("--every", type=_duration, default=2.0, metavar="DURATION",
                   help="with --watch: how often to look (default 2s; e.g. 30s, 5m)")
    p.set_defaults(run=cmd_index)

    p = command("follow", "Poll feeds, pages or files and add what is new, every DURATION, until Ctrl-C.",
                "searchkit follow https://example.com/news.rss --every 10m --index news")
    p.add_argument("sources", nargs="+", metavar="URL_OR_FILE")
    p.add_argument("--every", type=_duration, default=600.0, metavar="DURATION",
                   help="time between rounds (default 10m; e.g. 90, 30s, 10m, 1h)")
    p.add_argument("--rounds", type=_positive, metavar="N", help="stop after N rounds (default: until Ctrl-C)")
    p.add_argument("--timeout", type=_above_zero, default=30.0, metavar="SECONDS",
                   help="how long to wait for a server (default 30)")
    p.set_defaults(run=cmd_follow)

    p = command("search", "Search; ranked hits with snippets, then facets by source and date.", "searchkit search '\"river olm\" flood' --since 2023-01-01 --source 'The Lantern Post'")
    p.add_argument("query", help="the query (see README: Query syntax)")
    p.add_argument("--source", action="append", metavar="S", help="only this source (repeatable; any case)")
    p.add_argument("--since", type=_date_arg, metavar="DATE")
    p.add_argument("--until", type=_date_arg, metavar="DATE")
    p.add_argument("--sort", choices=("relevance", "newest", "oldest"), default="relevance")
    p.add_argument("--limit", type=_positive, default=10, metavar="N")
    paging = p.add_mutually_exclusive_group()
    paging.add_argument("--page", type=_positive, default=1, metavar="N")
    paging.add_argument("--cursor", help="continue after a previous page (its next_cursor); not with --page")
    p.add_argument("--interval", choices=("auto", "day", "week", "month", "year"), default="auto", help="date histogram bucket")
    p.add_argument("--mode", choices=("auto", "all", "any"), default="auto", help="how plain words combine")
    p.add_argument("--strict", action="store_true", help="reject malformed queries instead of skipping the bad parts")
    p.add_argument("--fail-empty", action="store_true", help="exit with code 3 when nothing is found")
    p.add_argument("--recency", metavar="HALF_LIFE", help="weigh relevance by age: halve the score every HALF_LIFE "
                   "(such as 30d, 2w, 1y) from today")
    p.add_argument("--diversify", choices=("source",), help="let outlets take turns at the top; say how many more each has")
    p.add_argument("--explain", action="store_true", help="show how each hit's score was computed")
    p.add_argument("--collapse", choices=("duplicates", "story"),
                   help="one hit per group of near-duplicates (wire copies), listing where else it ran; "
                        "or one per story, with its size and outlets")
    p.add_argument("--facet-counts", choices=("groups", "articles"), default="groups",
                   help="with --collapse: count each group once in the facets (default) or every article")
    p.add_argument("--facets", type=_facets_arg, default=True, metavar="LIST",
                   help="which facets to count: all (default), none, or names from source, date, stories "
                        "separated by commas (such as source,date)")
    p.set_defaults(run=cmd_search)

    p = command("related", "Articles related to one: its story from other outlets, or earlier background.",
                "searchkit related 2151e9c14f79ed23 --mode background --limit 5")
    p.add_argument("id", help="the article's id (see search results or export)")
    p.add_argument("--mode", choices=("coverage", "background"), default="coverage",
                   help="coverage: the same story from other outlets first (default); background: earlier articles")
    p.add_argument("--limit", type=_positive, default=10, metavar="N")
    p.add_argument("--source", action="append", metavar="S", help="only this source (repeatable; any case)")
    p.add_argument("--since", type=_date_arg, metavar="DATE")
    p.add_argument("--until", type=_date_arg, metavar="DATE")
    p.set_defaults(run=cmd_related)

    p = command("stories", "News stories: articles about the same story across outlets and days, largest first.",
                "searchkit stories flood --since 2024-03-01 --limit 5")
    p.add_argument("query", nargs="?", default="", help="only stories with an article matching it (default: all)")
    p.add_argument("--since", type=_date_arg, metavar="DATE", help="only stories with an article on or after DATE")
    p.add_argument("--until", type=_date_arg, metavar="DATE", help="only stories with an article on or before DATE")
    p.add_argument("--source", action="append", metavar="S", help="only stories with an article from S (repeatable)")
    p.add_argument("--limit", type=_positive, default=20, metavar="N")
    p.set_defaults(run=cmd_stories)

    p = command("show", "Print one article.", "searchkit show 2151e9c14f79ed23")
    p.add_argument("id")
    p.set_defaults(run=cmd_show)

    p = command("delete", "Delete articles by id.", "searchkit delete 2151e9c14f79ed23 6175720ae332ef47")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.set_defaults(run=cmd_delete)

    p = command("stats", "Articles, sources, date span, size on disk, schema version.", "searchkit stats --index news")
    p.set_defaults(run=cmd_stats)

    p = command("export", "Write every article as JSON Lines (to rebuild or move an index).", "searchkit export --output news.jsonl && searchkit index news.jsonl --index news2")
    p.add_argument("--format", choices=("jsonl",), default="jsonl")
    p.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    p.set_defaults(run=cmd_export)

    p = command("reindex", "Copy every article of one index into another: folder or http(s):// cluster URL, either way.",
                "searchkit reindex indexes/news http://127.0.0.1:9201/news")
    p.add_argument("source", metavar="SOURCE", help="the index to copy: a folder, a bare name under indexes/, or a URL")
    p.add_argument("target", metavar="TARGET", help="where to copy it; created when absent")
    p.add_argument("--into-existing", action="store_true",
                   help="copy into a target that already holds articles (same ids are replaced)")
    cluster_layout(p)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(run=cmd_reindex)

    p = command("check", "Verify an index: files, counts, stored articles.", "searchkit check --index news")
    p.set_defaults(run=cmd_check)

    p = command("demo", "Index the bundled sample articles into indexes/demo and run a few searches.", "searchkit demo")
    p.set_defaults(run=cmd_demo)

    p = command("serve", "Serve the index over HTTP: a JSON API under /api and a search page at /.",
                "searchkit serve --index news --token-file ~/.searchkit-token")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.add_argument("--token-file", metavar="FILE", help="the bearer token writes need (default: $SEARCHKIT_TOKEN; none: writes are off)")
    p.add_argument("--read-token-file", metavar="FILE", help="a bearer token reads need too (default: $SEARCHKIT_READ_TOKEN; none: reads are open)")
    p.add_argument("--cors-origin", action="append", metavar="ORIGIN", help="let pages from this origin call the API (repeatable; default: none)")
    p.add_argument("--max-body-mb", type=_above_zero, default=10.0, metavar="MB", help="largest request body (default 10)")
    p.add_argument("--time-limit", type=_above_zero, default=5.0, metavar="SECONDS", help="longest a search may run (default 5)")
    p.add_argument("--access-log", action="store_true", help="log every request on stderr")
    p.set_defaults(run=cmd_serve, lock_timeout=2.0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return int(exit.code or 0)
    try:
        code: int = args.run(args, sys.stdout, sys.stderr)
        return code
    except KeyboardInterrupt:
        sys.stderr.write("searchkit: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (SearchkitError, OSError) as exc:
        if args.debug:
            raise
        if isinstance(exc, QuerySyntaxError):
            message = f"{exc.reason} at position {exc.position} of the query {exc.query!r}"
        else:
            message = " ".join(line.strip() for line in str(exc).splitlines())
        sys.stderr.write(f"searchkit {args.command}: {cli_wording(message)}\n")
        return EXIT_ERROR
