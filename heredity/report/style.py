"""The inline stylesheet of HTML reports and of ``heredity view``'s listing (system fonts only:
nothing is fetched)."""

# The colour of each role, in every figure (matplotlib colours; no import needed to name them).
PALETTE = {"base": "#9e9e9e", "teacher": "#c2185b", "control": "#1976d2", "student": "#f57c00"}

STYLESHEET = """
:root { --ink: #1d2330; --muted: #5b6475; --rule: #d9dde5; --band: #f5f7fa; --accent: #c2185b; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header { padding: 14px 28px; border-bottom: 3px solid var(--accent); background: var(--band); }
header .run { font-size: 20px; font-weight: 650; }
header .meta { color: var(--muted); font-size: 13px; }
header .meta span + span::before { content: ""; }
main { max-width: 1100px; margin: 0 auto; padding: 8px 28px 48px; }
h1 { font-size: 24px; margin: 22px 0 8px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
code { font: 13px ui-monospace, "DejaVu Sans Mono", monospace; background: var(--band); padding: 1px 4px; border-radius: 3px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 14px; display: block; overflow-x: auto; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
th { background: var(--band); font-weight: 600; border-bottom: 2px solid var(--rule); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:hover { background: #fafbfc; }
img { max-width: 100%; height: auto; display: block; margin: 12px 0; }
.lineage .svg { overflow-x: auto; }
.lineage .svg svg { max-width: none; height: auto; } /* natural size: shrunk to the page its labels were 5 px */
a { color: #1565c0; }
"""
