"""The HTML page around reports and dashboards: one inline style sheet, and a Content-Security-Policy that lets
the page load nothing at all, so it works offline and cannot leak what it shows."""

from __future__ import annotations

import html

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

STYLE = """
:root { --fg: #0f172a; --muted: #64748b; --line: #e2e8f0; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 28px 12px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p, .note { margin: 0; color: var(--muted); }
main { padding: 16px 28px 40px; display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
section, figure.chart { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; margin: 0; }
section.wide, figure.wide { grid-column: 1 / -1; }
h2 { font-size: 16px; margin: 0 0 8px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg { display: block; overflow: visible; }
svg text { font-size: 11px; fill: var(--muted); }
svg text.label { fill: var(--fg); }
svg text.value { fill: var(--fg); }
svg .grid { stroke: var(--line); }
svg .axis { stroke: #94a3b8; }
svg circle:hover, svg rect.bar:hover { opacity: .75; }
.legend { list-style: none; padding: 0; margin: 6px 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px; color: var(--muted); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status-completed { color: #059669; } .status-failed { color: #dc2626; } .status-skipped { color: #d97706; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; }
dl.facts dt { color: var(--muted); }
code { font-size: 12px; }
a { color: #2563eb; }
"""


def page(title: str, subtitle: str, body: str, refresh_seconds: int | None = None) -> str:
    """A complete, self-contained HTML document."""
    refresh = f'<meta http-equiv="refresh" content="{int(refresh_seconds)}">' if refresh_seconds else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"{refresh}<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
            f"<main>{body}</main></body></html>\n")
