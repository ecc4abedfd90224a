"""The report's inline stylesheet: readable on screen and phone, clean on paper (greyscale-safe).

No text is smaller than 10 px at any width: charts keep a minimum drawn width (their text scales
with them) inside horizontal scroll containers, as do the tables; the page itself never scrolls
sideways.
"""

from __future__ import annotations

__all__ = ["CSS"]

CSS = """
:root { --ink: #1d1d1f; --muted: #5a5a5f; --line: #d6d6db; --card: #f6f6f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.window { color: var(--muted); margin: 0 0 16px; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; max-width: 100%; -webkit-overflow-scrolling: touch; }
.swatch { display: inline-block; width: 11px; height: 11px; margin-right: 6px; border: 1px solid #333;
          vertical-align: baseline; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(165px, 1fr)); gap: 12px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.kpi.custom { border-style: dashed; }
.kpi-label { font-size: 13px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.kpi-value { font-size: 28px; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums; }
.kpi-note { margin: 0; font-weight: 600; font-size: 13px; }
.kpi-def { margin: 4px 0 0; font-size: 12px; color: var(--muted); }
figure { margin: 0; break-inside: avoid; page-break-inside: avoid; }
figcaption, .caption { font-size: 12.5px; color: var(--muted); margin-top: 4px; }
svg.chart { display: block; width: 100%; min-width: 800px; height: auto; font-size: 13px; }
svg.chart .tick { fill: #333; font-size: 12.5px; }
svg.chart .axis-title { fill: #111; font-size: 13.5px; font-weight: 600; }
svg.chart .legend, svg.chart .value { fill: #111; font-size: 13px; }
svg.chart .grid { stroke: #e4e4e8; stroke-width: 1; }
svg.chart .axis { stroke: #333; stroke-width: 1; }
svg.chart .reference { stroke: #111; stroke-width: 1.4; stroke-dasharray: 1 4; stroke-linecap: round; }
svg.chart .mark:hover { opacity: .8; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, tbody th { text-align: left; }
thead th { border-bottom: 2px solid #999; white-space: normal; vertical-align: bottom; }
.quality { border-top: 2px solid var(--line); margin-top: 24px; }
[data-table="agents"] tbody th, table.heatmap tbody th { white-space: normal; min-width: 11em; }
table.heatmap td, table.heatmap thead th { padding: 5px 4px; min-width: 2.9em; }
.facts { padding-left: 20px; }
.empty { color: var(--muted); font-style: italic; }
code { font-size: 12px; }
@media (max-width: 600px) {
  main { padding: 14px 12px 32px; }
  h1 { font-size: 22px; }
  .kpis { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .kpi { padding: 10px; }
  .kpi-value { font-size: 22px; }
  .kpi-label { font-size: 12px; }
}
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  main { max-width: none; padding: 0; }
  body { font-size: 11pt; }
  .kpi { background: #fff; }
  section, figure, table { break-inside: avoid; page-break-inside: avoid; }
  svg.chart .mark:hover { opacity: 1; }
  svg.chart { min-width: 0; }
  .scroll { overflow: visible; }
}
"""
