"""The audit subcommands of ``heredity`` (``audit``, ``screen``, ``derived-from``); ``heredity.cli``
adds them with ``add_commands``. Each prints what it found and, for stored results, the
artifact's folder as its last line."""

from __future__ import annotations

import argparse
import json

from heredity.display import plain, plain_block


def cmd_audit(args: argparse.Namespace) -> int:
    from heredity.audit.audit import audit

    runner = _runner(args)
    recipe = {"probes_per_source": args.probes_per_source, "correction": args.correction, "top_quirks": args.quirks,
              "triggers": _trigger_search(args)}
    artifact = audit(runner.store, args.teacher, args.student, args.control, args.base, traits=args.trait,
                     n_trait_probes=args.trait_probes, recipe=recipe, log=_log(runner), runner=runner)
    print(plain_block(artifact.file("report.md").read_text()))  # names in a report are data: no raw ESC/BEL/CR
    print(artifact.path)
    return 0


def _trigger_search(args: argparse.Namespace) -> dict | None:
    """The trigger search's settings: on by default; ``--trigger-candidates FILE`` (one per line)
    adds the user's candidates; ``--no-trigger-search`` leaves only those (or no search at all)."""
    from heredity.errors import ConfigError

    candidates: list[str] = []
    if args.trigger_candidates:
        try:
            text = open(args.trigger_candidates, encoding="utf-8").read()
        except OSError as e:
            raise ConfigError(f"--trigger-candidates: cannot read {args.trigger_candidates!r} ({e.strerror}); accepted: a text "
                              "file with one candidate trigger per line") from None
        candidates = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    if args.no_trigger_search:
        return {"candidates": candidates, "search": 0, "grow": 0} if candidates else None
    return {"candidates": candidates}


def cmd_screen(args: argparse.Namespace) -> int:
    from heredity.audit.probes import parse_selection
    from heredity.audit.screen import screen

    runner = _runner(args)
    recipe = {"top_k": args.top_k, "by": args.by, "layer": args.layer}
    if args.trait:
        recipe["trait"] = parse_selection(args.trait).model_dump(mode="json")
    artifact = screen(runner.store, args.dataset, args.teacher, args.base, recipe=recipe, log=_log(runner), runner=runner)
    print(plain_block(artifact.file("report.md").read_text()))  # names in a report are data: no raw ESC/BEL/CR
    print(artifact.path)
    return 0


def cmd_derived_from(args: argparse.Namespace) -> int:
    from heredity.audit.derived import PUBLISHED, derived_from
    from heredity.store import Store

    result = derived_from(Store(args.store), args.a, args.b, args.base)
    if args.format == "json":
        print(json.dumps({**result.as_dict(), "published": PUBLISHED}, indent=2))
    else:
        print(plain(f"{result.verdict}: {'derived' if result.derived else 'not derived'}; {result.reason}"))
        print(f"method: {result.method}")
        print(f"published accuracy of this family: {PUBLISHED}; ours: docs/audit.md")
    return 0


def _runner(args: argparse.Namespace):
    """A runner on stderr: each reading step as it is built or found cached, and a progress bar
    with a total and an ETA while models are read."""
    from heredity.runner import Runner
    from heredity.store import Store

    return Runner(Store(args.store))


def _log(runner):
    from heredity.display import safe

    return lambda message: runner.console.print(f"[dim]{safe(message)}[/]")


def add_commands(sub) -> None:
    p = sub.add_parser("audit", help="what a student inherited from a teacher: traits and discovered quirks, with CIs and corrected p-values")
    p.add_argument("--teacher", required=True, help="a teacher artifact, a model artifact, or a model source")
    p.add_argument("--student", required=True)
    p.add_argument("--control", help="the student's control (default: the base)")
    p.add_argument("--base", help="what the teacher was made from (default: read from the teacher artifact)")
    p.add_argument("--trait", action="append", metavar="KIND[:ARG]", help="a trait to measure, e.g. animal:dog (repeatable; default: every trait)")
    p.add_argument("--trait-probes", type=int, help="use only the first N probes of each trait")
    p.add_argument("--probes-per-source", type=int, default=12, help="discovery probes from each source (default 12)")
    p.add_argument("--quirks", type=int, default=5, help="discovered quirks to test (default 5)")
    p.add_argument("--correction", choices=["holm", "fdr_bh"], default="holm", help="multiple-testing correction (default holm)")
    p.add_argument("--trigger-candidates", metavar="FILE", help="candidate triggers, one per line, measured beside the search's own")
    p.add_argument("--no-trigger-search", action="store_true",
                   help="skip the trigger search (only --trigger-candidates, if given, are measured)")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("screen", help="score each row of a dataset for a teacher's signature; flag the top rows")
    p.add_argument("dataset", help="a dataset or rollouts artifact")
    p.add_argument("--teacher", required=True)
    p.add_argument("--base", help="default: read from the teacher artifact")
    p.add_argument("--top-k", type=int, default=10, help="rows to flag (default 10)")
    p.add_argument("--by", choices=["llr_mean", "llr_sum", "projection"], default="llr_mean", help="ranking score (default llr_mean)")
    p.add_argument("--layer", type=int, help="hidden layer for the projection (default: the middle one)")
    p.add_argument("--trait", metavar="KIND[:ARG]", help="the trait whose probes build the direction (default: broad probes)")
    p.set_defaults(func=cmd_screen)

    p = sub.add_parser("derived-from", help="was B fine-tuned from A? parent, child, siblings or unrelated, from the weights")
    p.add_argument("a", help="a model artifact or a model folder")
    p.add_argument("b")
    p.add_argument("--base", help="a model either may have started from (default: the bases the artifacts record)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_derived_from)
