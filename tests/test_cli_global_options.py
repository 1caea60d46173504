"""The global options (--store, -v) are accepted before and after the command."""

from heredity.cli import build_parser, main


def test_store_is_read_before_or_after_the_command(tmp_path):
    parse = build_parser().parse_args
    assert parse(["--store", "A", "ls"]).store == "A"
    assert parse(["ls", "--store", "B"]).store == "B"
    assert parse(["--store", "A", "ls", "--store", "B"]).store == "B"  # the later one wins
    assert parse(["ls"]).store is None  # the default: $HEREDITY_STORE or the cache folder
    assert parse(["audit", "--teacher", "t", "--student", "s", "--control", "c", "-v"]).verbose is True
    assert parse(["-v", "ls"]).verbose is True and parse(["ls"]).verbose is False


def test_a_store_given_after_the_command_is_the_one_used(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["ls", "--store", str(missing)]) != 0
    said = capsys.readouterr()
    assert str(missing) in (said.out + said.err).replace("\n", "")
