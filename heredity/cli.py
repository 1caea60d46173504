"""The ``heredity`` command."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from pathlib import Path

from rich.markup import escape

from heredity.display import console as make_console
from heredity.display import plain, plain_block, safe
from heredity.errors import HeredityError

console = make_console(stderr=True)
_ENVIRONMENT_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT, errno.ENOTDIR)


def _store(args: argparse.Namespace, *, create: bool = False):
    """The store; only the command that builds (``run``) may create one."""
    from heredity.store import Store

    return Store(args.store, create=create)


def cmd_run(args: argparse.Namespace) -> int:
    from heredity.executors import EXECUTORS
    from heredity.experiments import EXPERIMENTS, load_experiment
    from heredity.runner import Runner

    config = load_experiment(Path(args.file))
    executor = EXECUTORS.get(args.executor)(address=args.address, workers=args.workers)
    runner = Runner(_store(args, create=True), console=console, quiet=args.quiet, executor=executor)
    console.print(f"[bold]heredity run[/] {safe(args.file)} [dim](store {safe(runner.store.root)})[/]")
    try:
        report = EXPERIMENTS.get(config.kind).start(config, runner)
    except KeyboardInterrupt:
        console.print(f"\n[yellow]interrupted[/]: finished steps are kept; run `heredity run {safe(args.file)}` again to resume.")
        return 130
    hits = sum(t["cached"] for t in runner.timings)
    console.print(f"[dim]{len(runner.timings)} steps, {hits} cache hits[/]{_where(runner.timings)}")
    # Every step, cache hits included, was checked against its recorded digest as it was produced,
    # so the report shown is the one that was built (a hand-edited report is refused).
    if not args.quiet:
        summary, report_md = report.file("summary.txt"), report.file("report.md")
        if summary.exists():  # short lines, readable at 80 columns
            console.print(escape(plain_block(summary.read_text(errors="replace"))), highlight=False, end="")
        elif report_md.exists():
            from rich.markdown import Markdown

            console.print(Markdown(plain_block(report_md.read_text(errors="replace"))))
    print(report.path)
    return 0


def _where(timings: list[dict]) -> str:
    """Where a cluster's workers ran the cells' steps, per Ray node: '' when no step ran on one."""
    nodes: dict[str, list[bool]] = {}
    for t in timings:
        if "node" in t:
            nodes.setdefault(t["node"], []).append(t["cached"])
    if not nodes:
        return ""
    each = ", ".join(f"{node[:8]} {len(c)} steps ({len(c) - sum(c)} built)" for node, c in sorted(nodes.items()))
    return f"\n[dim]cells' steps on {len(nodes)} Ray node{'s' * (len(nodes) > 1)}: {each}[/]"


def cmd_plan(args: argparse.Namespace) -> int:
    """The steps a run would ask for, with their ids, and which the store already holds."""
    import tempfile

    from heredity.experiments import load_experiment
    from heredity.experiments.plan import plan

    config = load_experiment(Path(args.file))
    store = None
    try:
        store = _store(args)
    except HeredityError:
        pass  # no store yet: every step is to build
    with tempfile.TemporaryDirectory() as scratch:
        planned = plan(config, Path(scratch) / "store", cached=store)
    if args.format == "json":
        print(json.dumps(planned.as_json(), indent=2))
        return 0
    held = sum(1 for s in planned.steps if store is not None and store.exists(s.id))
    print(f"{plain(str(args.file))}: {len(planned.steps)} steps planned, {held} already in the store")
    for s in planned.steps:
        mark = "cached" if store is not None and store.exists(s.id) else "build "
        print(f"  {mark} {s.id}  {plain(s.kind)} {plain(s.name)}")
    if planned.stopped_at:
        print(f"  … then the steps that depend on results (planning needs {plain(planned.stopped_at)})")
    return 0


def cmd_lineage(args: argparse.Namespace) -> int:
    from heredity.store import lineage
    from heredity.store.integrity import require_closure

    store = _store(args)
    aid = store.resolve(args.id)
    store.manifest(aid)  # the artifact asked about must be one (its missing ancestors are shown, not fatal)
    graph = lineage.graph(store, aid, "down" if args.reach else args.direction)
    # Show nothing that fails its check: every artifact shown, and the digest chain between them.
    require_closure(store, list(graph["nodes"]), f"show the lineage of {aid}")
    if args.reach:
        return _print_reach(store, aid, args.reach, args.format)
    if args.output:
        from heredity.store.exports import dot

        for path in dot.render(graph, Path(args.output)):
            console.print(f"wrote {path}")
        return 0
    if args.format == "dot":
        from heredity.store.exports import dot

        print(plain_block(dot.to_dot(graph)), end="")  # labels are data: no raw ESC/BEL/CR reach a terminal
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
    out = make_console(stderr=False, highlight=False)
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
        name = f" {plain(r['name'])}" if r["name"] else ""
        print(f"  {r['id']}  {plain(r['kind'])}{name}  via {arrow.join(r['path'])}")


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
    from heredity.store import lineage
    from heredity.store.atomic import write_atomic
    from heredity.store.exports import export
    from heredity.store.integrity import require_closure

    store = _store(args)
    aid = store.resolve(args.id)
    kind = store.manifest(aid).kind
    if kind != "model":
        console.print(f"[yellow]note[/]: {aid} is a {safe(kind)}, not a model; exporting its lineage anyway")
    # The document states file hashes and content digests: check that they are the files' real ones
    # (the artifact, every ancestor, the scores that evaluated it, and the digest chain) first.
    shown = list(lineage.graph(store, aid, "up")["nodes"]) + [c for c, rel in store.children(aid) if rel == "evaluated"]
    require_closure(store, shown, f"export {aid}")
    text = export(store, aid, args.format)
    if not args.output:
        sys.stdout.write(plain_block(text))  # names and prompts are data: no raw ESC/BEL/CR reach a terminal
        return 0
    write_atomic(Path(args.output), text)  # an exclusive random temp name beside it, then rename: no link is followed
    console.print(f"wrote {safe(args.output)}")
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    from heredity.errors import StoreError
    from heredity.store.integrity import inspect

    store = _store(args)
    failed = 0
    for aid in store.ids(args.kind):
        try:
            checked = inspect(store, aid)
        except StoreError as exc:
            print(f"{aid}\t(unreadable: {plain(exc)})")
            failed += 1
            continue
        m = checked.manifest
        if m is None:  # no readable manifest: its problems are all there is to list
            print(f"{aid}\t(unreadable: {plain('; '.join(checked.problems[:2]))})")
            failed += 1
            continue
        mark = "" if checked.ok else "\tFAILS ITS CHECK: " + plain("; ".join(checked.problems[:2]))
        failed += not checked.ok
        print(f"{aid}\t{plain(m.name)}\t{plain(m.provenance.started)}{mark}")
    if failed:
        console.print(f"[red]{failed} artifact(s) fail their check[/]; run `heredity verify` for details")
    return 1 if failed else 0


def cmd_reindex(args: argparse.Namespace) -> int:
    store = _store(args)
    done = store.reindex()
    trust = done.not_vouched if args.trust_all else [store.resolve(t) for t in args.trust or []]
    if trust:
        for aid, digest in store.trust(trust):
            print(f"TRUSTED {aid}: content digest {digest} recorded on your word (logged in {store.root / 'trust.log'})")
        done = store.reindex()  # a trusted child now vouches for the parents it recorded
    for line in done.unreadable:
        print(f"SKIP {plain(line)}")
    for aid in done.not_vouched:
        print(f"NOT VOUCHED {aid}: no digest was recorded for it and no vouched child recorded its content; it is refused "
              f"until you check it and run `heredity reindex --trust {aid}`")
    print(f"indexed {done.count} artifacts; {len(done.tied)} digests tied to their children's records, "
          f"{len(done.not_vouched)} not vouched for")
    return 1 if done.not_vouched or done.unreadable else 0


def cmd_view(args: argparse.Namespace) -> int:
    from heredity.report.view import check_host, make_server

    check_host(args.host, args.allow_remote)  # before the store: the refusal does not depend on it
    server = make_server(_store(args), args.host, args.port, allow_remote=args.allow_remote)
    host, port = str(server.server_address[0]), server.server_address[1]
    console.print(f"serving the store's reports at http://{'[' + host + ']' if ':' in host else host}:{port}/ (Ctrl-C stops)", markup=False, highlight=False)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    from heredity.store.kinds import KINDS

    parser = argparse.ArgumentParser(prog="heredity", description=__doc__)
    parser.add_argument("--store", help="store folder (default: $HEREDITY_STORE or the user cache folder)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show third-party progress bars, logs and warnings")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run an experiment file; prints the report folder last")
    p.add_argument("file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or report on the terminal")
    p.add_argument("--executor", default="local",
                   help="how independent cells are bred: local (one after the other, the default), ray, or another registered executor")
    p.add_argument("--address", help="ray: the cluster to join (default: start Ray on this machine)")
    p.add_argument("--workers", type=int, help="ray: CPUs of a local Ray (default 2); one cell per CPU")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("plan", help="the steps a run would build, with their ids, and which are already in the store (builds nothing)")
    p.add_argument("file")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("lineage", help="an artifact's ancestors and descendants, with relations")
    p.add_argument("id", help="artifact id or a unique prefix")
    p.add_argument("--direction", choices=["up", "down", "both"], default="both", help="ancestors (up), descendants (down) or both")
    p.add_argument("--format", choices=["tree", "list", "json", "dot"], default="tree")
    p.add_argument("--kind", choices=sorted(KINDS), metavar="KIND",
                   help=f"only artifacts of this kind, as a list (e.g. --direction up --kind model); one of {', '.join(sorted(KINDS))}")
    p.add_argument("--reach", nargs="?", const="model", metavar="KIND",
                   help="every descendant of KIND (default model): every model this artifact's data reached")
    p.add_argument("-o", "--output", help="write a picture: FILE.svg, FILE.png or FILE.dot (the .dot is always written)")
    p.set_defaults(func=cmd_lineage)

    p = sub.add_parser("verify", help="re-hash artifacts (all, or one with its ancestors); exit 1 on mismatch")
    p.add_argument("id", nargs="?")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("export", help="a model's lineage as CycloneDX ML-BOM, SPDX 3 AI/Dataset, or a Hugging Face model card")
    p.add_argument("id", help="artifact id or a unique prefix")
    p.add_argument("--format", required=True, help="cyclonedx, spdx, model-card, or another registered exporter")
    p.add_argument("-o", "--output", help="write to FILE (default: standard output)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("ls", help="list artifacts")
    p.add_argument("--kind", choices=sorted(KINDS), metavar="KIND", help=f"only artifacts of this kind: {', '.join(sorted(KINDS))}")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser("reindex", help="rebuild the index from the manifests; exit 1 if it cannot vouch for every artifact")
    p.add_argument("--trust", action="append", metavar="ID",
                   help="record ID's current content digest on your word (a legacy store, an archive without its index); logged")
    p.add_argument("--trust-all", action="store_true", help="--trust every artifact reindex could not vouch for")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("view", help="serve the store's reports as HTML (loopback only unless --allow-remote)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    p.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    p.set_defaults(func=cmd_view)

    from heredity.audit.cli import add_commands  # audit, screen, derived-from

    add_commands(sub)
    # The global options are accepted after the command too (`heredity ls --store DIR`): SUPPRESS
    # keeps a value given before the command when none is given after it.
    for command in sub.choices.values():
        command.add_argument("--store", default=argparse.SUPPRESS, help="store folder (as before the command)")
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                             help="third-party progress bars, logs and warnings (as before the command)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from heredity.quiet import silence_third_party

    silence_third_party(args.verbose)
    try:
        return args.func(args)
    except HeredityError as exc:
        # escaped: messages quote user text (YAML, paths) that may contain [brackets]; one problem
        # a line (a config with three mistakes says all three), aligned under the first
        lines = [escape(line) for line in plain_block(str(exc)).splitlines() or [""]]
        console.print("[red]error:[/] " + "\n       ".join(lines), highlight=False, soft_wrap=True)
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
            return _unexpected(exc)
        where = f" {exc.filename}" if exc.filename else ""
        console.print(f"[red]error:[/] cannot write{safe(where)}: {exc.strerror}", highlight=False, soft_wrap=True)
        return 2
    except Exception as exc:
        return _unexpected(exc)


def _unexpected(exc: BaseException) -> int:
    """Any other failure on a user path: one line, exit 2; HEREDITY_DEBUG=1 shows the traceback."""
    if os.environ.get("HEREDITY_DEBUG") == "1":
        raise exc
    text = plain(str(exc).splitlines()[0] if str(exc) else "")[:500]
    console.print(f"[red]error:[/] {type(exc).__name__}: {safe(text)} (set HEREDITY_DEBUG=1 for the traceback)",
                  highlight=False, soft_wrap=True)
    return 2


if __name__ == "__main__":
    sys.exit(main())
