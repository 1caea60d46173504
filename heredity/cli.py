"""The ``heredity`` command."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from heredity.errors import HeredityError

console = Console(stderr=True)
_ENVIRONMENT_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.ENOTDIR)


def _store(args: argparse.Namespace):
    from heredity.store import Store

    return Store(args.store)


def cmd_run(args: argparse.Namespace) -> int:
    from heredity.experiments import EXPERIMENTS, load_experiment
    from heredity.runner import Runner

    config = load_experiment(Path(args.file))
    runner = Runner(_store(args), console=console, quiet=args.quiet)
    console.print(f"[bold]heredity run[/] {args.file} [dim](store {runner.store.root})[/]")
    try:
        report = EXPERIMENTS.get(config.kind).run(config, runner)
    except KeyboardInterrupt:
        console.print(f"\n[yellow]interrupted[/]: finished steps are kept; run `heredity run {args.file}` again to resume.")
        return 130
    hits = sum(t["cached"] for t in runner.timings)
    console.print(f"[dim]{len(runner.timings)} steps, {hits} cache hits[/]")
    report_md = report.file("report.md")
    if report_md.exists() and not args.quiet:
        from rich.markdown import Markdown

        console.print(Markdown(report_md.read_text()))
    print(report.path)
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    from heredity.store import lineage

    store = _store(args)
    aid = store.resolve(args.id)
    store.manifest(aid)  # the artifact asked about must be one (its missing ancestors are shown, not fatal)
    if args.reach:
        return _print_reach(store, aid, args.reach, args.format)
    graph = lineage.graph(store, aid, args.direction)
    if args.output:
        from heredity.store.exports import dot

        for path in dot.render(graph, Path(args.output)):
            console.print(f"wrote {path}")
        return 0
    if args.format == "dot":
        from heredity.store.exports import dot

        print(dot.to_dot(graph), end="")
        return 0
    ups = lineage.ancestors(store, aid) if args.direction in ("up", "both") else []
    downs = lineage.descendants(store, aid) if args.direction in ("down", "both") else []
    if args.kind:
        ups, downs = [a for a in ups if a["kind"] == args.kind], [d for d in downs if d["kind"] == args.kind]
    if args.format == "json":
        print(json.dumps({"id": aid, **graph["nodes"][aid], "ancestors": ups, "descendants": downs, "edges": graph["edges"]}, indent=2))
        return 0
    if args.format == "list" or args.kind:
        _print_list(f"ancestors of {aid}", ups, " ← ") if args.direction in ("up", "both") else None
        _print_list(f"descendants of {aid}", downs, " → ") if args.direction in ("down", "both") else None
        return 0
    out = Console(highlight=False)
    if args.direction in ("up", "both"):
        out.print("[bold]ancestors[/] (each parent under its child, with its relation)")
        out.print(lineage.ancestors_tree(store, aid))
    if args.direction in ("down", "both"):
        out.print("[bold]descendants[/] (each child under its parent, with the relation it holds)")
        out.print(lineage.descendants_tree(store, aid))
    return 0


def _print_list(title: str, rows: list[dict], arrow: str) -> None:
    print(f"{title}: {len(rows)}")
    for r in rows:
        name = f" {r['name']}" if r["name"] else ""
        print(f"  {r['id']}  {r['kind']}{name}  via {arrow.join(r['path'])}")


def _print_reach(store, aid: str, kind: str, fmt: str) -> int:
    from heredity.store import lineage

    reached = lineage.reach(store, aid, kind)
    if fmt == "json":
        print(json.dumps({"id": aid, "reach": kind, "reached": reached}, indent=2))
    else:
        _print_list(f"every {kind} that {aid} reached", reached, " → ")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from heredity.store.verify import verify

    store = _store(args)
    report = verify(store, store.resolve(args.id) if args.id else None)
    for line in report.failures:
        print(f"FAIL {line}")
    for line in report.warnings:
        print(f"WARN {line}")
    print(report.summary())
    return 0 if report.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    from heredity.store.exports import export

    store = _store(args)
    aid = store.resolve(args.id)
    kind = store.manifest(aid).kind
    if kind != "model":
        console.print(f"[yellow]note[/]: {aid} is a {kind}, not a model; exporting its lineage anyway")
    text = export(store, aid, args.format)
    if not args.output:
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(text)
        tmp.replace(out)  # a reader never sees half a document
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise HeredityError(f"cannot write {out}: {exc.strerror or exc}") from None
    console.print(f"wrote {out}")
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    store = _store(args)
    for aid in store.ids(args.kind):
        m = store.manifest(aid)
        print(f"{aid}\t{m.name}\t{m.provenance.started}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    print(f"indexed {_store(args).reindex()} artifacts")
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    from heredity.report.view import make_server

    server = make_server(_store(args), args.host, args.port, allow_remote=args.allow_remote)
    host, port = server.server_address[:2]
    console.print(f"serving the store's reports at http://{'[' + host + ']' if ':' in host else host}:{port}/ (Ctrl-C stops)", markup=False, highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="heredity", description=__doc__)
    parser.add_argument("--store", help="store folder (default: $HEREDITY_STORE or the user cache folder)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run an experiment file; prints the report folder last")
    p.add_argument("file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or report on the terminal")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("lineage", help="an artifact's ancestors and descendants, with relations")
    p.add_argument("id", help="artifact id or a unique prefix")
    p.add_argument("--direction", choices=["up", "down", "both"], default="both", help="ancestors (up), descendants (down) or both")
    p.add_argument("--format", choices=["tree", "list", "json", "dot"], default="tree")
    p.add_argument("--kind", help="only artifacts of this kind, as a list (e.g. --direction up --kind model)")
    p.add_argument("--reach", nargs="?", const="model", metavar="KIND",
                   help="every descendant of KIND (default model): every model this artifact's data reached")
    p.add_argument("-o", "--output", help="write a picture: FILE.svg, FILE.png or FILE.dot (the .dot is always written)")
    p.set_defaults(func=cmd_lineage)

    p = sub.add_parser("verify", help="re-hash artifacts (all, or one with its ancestors); exit 1 on mismatch")
    p.add_argument("id", nargs="?")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("export", help="a model's lineage as CycloneDX ML-BOM, SPDX 3 AI/Dataset, or a Hugging Face model card")
    p.add_argument("id", help="artifact id or a unique prefix")
    p.add_argument("--format", choices=["cyclonedx", "spdx", "model-card"], required=True)
    p.add_argument("-o", "--output", help="write to FILE (default: standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("ls", help="list artifacts")
    p.add_argument("--kind")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser("reindex", help="rebuild the index from the manifests")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("view", help="serve the store's reports as HTML (loopback only unless --allow-remote)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    p.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    p.set_defaults(func=cmd_view)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HeredityError as exc:
        # escaped: messages quote user text (YAML, paths) that may contain [brackets]
        console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return exc.exit_status
    except BrokenPipeError:  # `heredity lineage ID --format json | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:  # outside a run's steps (cmd_run handles its own): nothing half-done
        console.print("\n[yellow]interrupted[/]")
        return 130
    except OSError as exc:
        # The environment failed under us (disk full, read-only disk, permissions) somewhere no
        # step caught it: one line naming the file and the cause, not a traceback.
        if exc.errno not in _ENVIRONMENT_ERRNOS:
            raise
        where = f" {exc.filename}" if exc.filename else ""
        console.print(f"[red]error:[/] cannot write{escape(where)}: {exc.strerror}", highlight=False, soft_wrap=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
