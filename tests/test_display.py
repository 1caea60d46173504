from rich.console import Console

from heredity.display import plain, plain_block, safe


def test_names_are_text_not_markup_nor_terminal_codes():
    name = "evil[/] x[bold red]\x1b[31m\r\x07"
    console = Console(record=True, width=200, color_system=None)
    console.print(f"report {safe(name)}")  # unescaped, `[/]` would raise MarkupError
    assert console.export_text().strip() == "report evil[/] x[bold red][31m"
    assert plain("a\nb\tc\x9b") == "abc" and plain_block("a\nb\tc\x1b") == "a\nb\tc"
