"""The ``heredity`` command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from heredity.errors import HeredityError

console = Console(stderr=True)


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
    if args.format == "json":
        print(json.dumps({"id": aid, "ancestors": lineage.ancestors(store, aid), "descendants": lineage.descendants(store, aid)}, indent=2))
        return 0
    out = Console()
    if args.direction in ("up", "both"):
        out.print(lineage.ancestors_tree(store, aid))
    if args.direction in ("down", "both"):
        out.print(lineage.descendants_tree(store, aid))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from heredity.store import lineage

    store = _store(args)
    if args.id:
        aid = store.resolve(args.id)
        ids = [aid] + [a["id"] for a in lineage.ancestors(store, aid)]
    else:
        ids = sorted(p.name for p in store.artifacts.iterdir())
    bad = 0
    for aid in ids:
        try:
            mismatches = store.verify_one(aid)
        except HeredityError as exc:
            print(f"FAIL {exc}")
            bad += 1
            continue
        for mismatch in mismatches:
            print(f"FAIL {mismatch.describe()}")
        bad += bool(mismatches)
    print(f"{len(ids) - bad} of {len(ids)} artifacts verified" + (f", {bad} failed" if bad else ""))
    return 1 if bad else 0


def cmd_ls(args: argparse.Namespace) -> int:
    store = _store(args)
    for aid in store.ids(args.kind):
        m = store.manifest(aid)
        print(f"{aid}\t{m.name}\t{m.provenance.started}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    print(f"indexed {_store(args).reindex()} artifacts")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="heredity", description=__doc__)
    parser.add_argument("--store", help="store folder (default: $HEREDITY_STORE or the user cache folder)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run an experiment file; prints the report folder last")
    p.add_argument("file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or report on the terminal")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("lineage", help="an artifact's ancestors and descendants")
    p.add_argument("id", help="artifact id or a unique prefix")
    p.add_argument("--direction", choices=["up", "down", "both"], default="up")
    p.add_argument("--format", choices=["tree", "json"], default="tree")
    p.set_defaults(func=cmd_lineage)

    p = sub.add_parser("verify", help="re-hash artifacts (all, or one with its ancestors); exit 1 on mismatch")
    p.add_argument("id", nargs="?")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("ls", help="list artifacts")
    p.add_argument("--kind")
    p.set_defaults(func=cmd_ls)

    p = sub.add_parser("reindex", help="rebuild the index from the manifests")
    p.set_defaults(func=cmd_reindex)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except HeredityError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return exc.exit_status


if __name__ == "__main__":
    sys.exit(main())
