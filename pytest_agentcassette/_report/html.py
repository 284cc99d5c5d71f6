"""A pytest run's cassettes as one self-contained HTML page (``--cassette-report``): per test,
its outcome, its cassette, the conversation turn by turn, the delegation graph of a
multi-agent session, the tokens and provider time, and the failure a replay met (the drift
from the recording); a header with the run's totals, filters and a search.

Everything is inline (CSS, a few lines of JS, SVG): the page loads nothing. Every text from
a test or a cassette is escaped. A collapsed test keeps its body in a ``<template>``, which
the browser parses but neither lays out nor renders until the test is opened: a run of
hundreds of long sessions opens at once.
"""

from __future__ import annotations

import json
from collections import Counter
from html import escape
from typing import Any, TypedDict

__all__ = ["OUTCOMES", "ReportedTest", "render"]

OUTCOMES = ("failed", "error", "passed", "skipped")
"""The outcomes a test is filed under, in the order the filters show them."""

_WRITTEN = ("recorded", "rewritten", "extended")
_LONG_TEXT = 700  # characters of a message shown before it folds
_LONG_LINES = 12
_PREVIEW = 160  # characters of a folded text or a tool call's arguments in its summary
_AGENT_COLOURS = 8


class ReportedTest(TypedDict):
    """What the report shows of one test: plain data (it travels from pytest-xdist workers)."""

    nodeid: str
    outcome: str
    """``passed``, ``failed``, ``error`` or ``skipped``."""
    order: int
    """The test's place in the collection, which orders the report."""
    cassette: str
    """The cassette file as messages show it; ``""`` when none was opened."""
    mode: str
    """What the test did with it: as the session summary says (``replayed``, ``recorded``,
    ``rewritten``, ``extended``, ``unused``, ``refused``); ``""`` when none was opened."""
    interactions: int
    played: int
    duration: float
    """Seconds the test took, setup and teardown included."""
    headline: str
    """The first line of the failure, ``""`` when the test did not fail."""
    failure: str
    """What pytest printed for each phase that failed."""
    transcript: dict[str, Any] | None
    """``Transcript.to_json()`` of the interactions the test replayed or recorded."""
    note: str
    """Why there is no transcript, when there is a cassette."""


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _seconds(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    if minutes:
        return f"{int(minutes)}m {rest:.1f}s"
    return f"{rest:.2f} s" if rest >= 0.01 else f"{rest * 1000:.0f} ms"


def _tokens(usage: dict[str, Any] | None) -> str:
    if not usage or not usage.get("total_tokens"):
        return ""
    return (
        f"{usage['total_tokens']:,} tokens "
        f"({usage['input_tokens']:,} in, {usage['output_tokens']:,} out)"
    )


def _dots(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


def _json_text(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


def _arguments(arguments: Any) -> str:
    """``key: "value", ...`` as cagent prints a tool call's arguments."""
    if isinstance(arguments, dict):
        return ", ".join(f"{key}: {_json_text(value)}" for key, value in arguments.items())
    return _json_text(arguments)


def _cut(text: str, length: int = _PREVIEW) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _text(text: str, fold: bool = False) -> str:
    """A message's text; a long one folded behind its beginning (with ``fold``, any but a
    short line).
    """
    shown = f'<div class="x">{escape(text)}</div>'
    lines = text.count("\n") + 1
    short = (_PREVIEW, 1) if fold else (_LONG_TEXT, _LONG_LINES)
    if len(text) <= short[0] and lines <= short[1]:
        return shown
    more = f"{_count(len(text), 'character')}, {_count(lines, 'line')}"
    return (
        f'<details class="fold"><summary>{escape(_cut(text))} '
        f'<span class="dim">({more})</span></summary>{shown}</details>'
    )


def _call(name: str, arguments: Any) -> str:
    """A tool call, its arguments expandable."""
    preview = escape(_cut(_arguments(arguments)))
    pretty = escape(_json_text(arguments, indent=2))
    return (
        f'<details class="call"><summary>Calling <b>{escape(name)}</b>({preview})</summary>'
        f'<pre class="args">{pretty}</pre></details>'
    )


def _message(message: dict[str, Any], agent_class: str = "") -> str:
    """A message of a request, or the model's answer."""
    role = str(message.get("role", "?"))
    text = str(message.get("text") or "")
    label = role
    if role == "tool":  # as cagent prints a result: read_file response → ...
        label = f"{_cut(str(message.get('name') or 'tool'), 20)} →"
    body = _text(text, fold=role == "system") if text else ""
    body += "".join(
        _call(str(call.get("name")), call.get("arguments"))
        for call in message.get("tool_calls") or ()
    )
    return (
        f'<div class="m {escape(role)}"><div class="r {agent_class}">{escape(label)}</div>'
        f'<div class="c">{body}</div></div>'
    )


def _mcp(call: dict[str, Any]) -> str:
    result = str(call.get("result") or "")
    flag = ' <span class="bad">error</span>' if call.get("is_error") else ""
    return (
        f'<div class="m mcp"><div class="r">MCP · {escape(str(call.get("server") or ""))}</div>'
        f'<div class="c">{_call(str(call.get("name")), call.get("arguments"))}'
        f'<div class="res">result{flag}</div>{_text(result)}</div></div>'
    )


def _turn(turn: dict[str, Any], number: int, colours: dict[str, int]) -> str:
    agent = turn.get("agent")
    agent_class = f"a{colours[agent]}" if agent in colours else ""
    chip = f'<span class="ag {agent_class}">{escape(agent)}</span>' if agent else ""
    where = "mcp" if turn.get("mcp") else _dots(turn.get("api") or "", turn.get("model") or "")
    duration = turn.get("duration")
    title = _dots(f"turn {number}", escape(where), _tokens(turn.get("usage")),
                  "" if duration is None else _seconds(duration))  # fmt: skip
    parts = [_message(message) for message in turn.get("sent") or ()]
    if turn.get("mcp"):
        parts.append(_mcp(turn["mcp"]))
    if turn.get("answer"):
        parts.append(_message(turn["answer"], agent_class))
    if turn.get("error"):
        parts.append(
            f'<div class="m err"><div class="r">error</div>'
            f'<div class="c"><div class="x">{escape(str(turn["error"]))}</div></div></div>'
        )
    url = escape(f"{turn.get('method', '')} {turn.get('url', '')} → {turn.get('status', '')}")
    return f'<section class="turn"><h4 title="{url}">{chip}{title}</h4>{"".join(parts)}</section>'


def _delegations(turns: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    """``(from, to, tool)`` of each ``transfer_task`` and ``handoff``, counted."""
    edges: Counter[tuple[str, str, str]] = Counter()
    for turn in turns:
        for call in (turn.get("answer") or {}).get("tool_calls") or ():
            arguments = call.get("arguments")
            target = arguments.get("agent") if isinstance(arguments, dict) else None
            if call.get("name") in ("transfer_task", "handoff") and isinstance(target, str):
                edges[(turn.get("agent") or "?", target, str(call["name"]))] += 1
    return edges


def _layers(agents: list[str], edges: Counter[tuple[str, str, str]]) -> dict[str, int]:
    """Each agent's distance from the first along delegations (the graph's columns)."""
    depth = {agents[0]: 0} if agents else {}
    frontier = list(depth)
    while frontier:
        following = []
        for source in frontier:
            for start, target, _tool in edges:
                if start == source and target not in depth:
                    depth[target] = depth[source] + 1
                    following.append(target)
        frontier = following
    for agent in agents:
        depth.setdefault(agent, 0)
    return depth


_NODE_W, _NODE_H, _COLUMN, _ROW = 150, 34, 230, 62


def _edge(start: tuple[float, float], end: tuple[float, float], bend: float) -> str:
    """A curved arrow from ``start`` to ``end``, its head drawn as a triangle."""
    (x1, y1), (x2, y2) = start, end
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2 + bend
    dx, dy = x2 - cx, y2 - cy
    length = max((dx * dx + dy * dy) ** 0.5, 1.0)
    ux, uy = dx / length, dy / length
    bx, by = x2 - 9 * ux, y2 - 9 * uy
    head = (
        f"{x2:.0f},{y2:.0f} {bx - 4 * uy:.0f},{by + 4 * ux:.0f} {bx + 4 * uy:.0f},{by - 4 * ux:.0f}"
    )
    return (
        f'<path d="M{x1:.0f},{y1:.0f} Q{cx:.0f},{cy:.0f} {x2:.0f},{y2:.0f}"/>'
        f'<polygon points="{head}"/>'
    )


def _graph(agents: list[str], turns: list[dict[str, Any]], colours: dict[str, int]) -> str:
    """The delegation graph as SVG: agents as boxes in columns, one arrow per kind of edge."""
    edges = _delegations(turns)
    nodes = list(dict.fromkeys([*agents, *(a for edge in edges for a in edge[:2])]))
    depth = _layers(nodes, edges)
    rows: Counter[int] = Counter()
    place = {}
    for node in nodes:
        place[node] = (20 + depth[node] * _COLUMN, 20 + rows[depth[node]] * _ROW)
        rows[depth[node]] += 1
    width = 40 + max(depth.values()) * _COLUMN + _NODE_W
    height = 50 + (max(rows.values()) - 1) * _ROW + _NODE_H
    parts = []
    for index, ((source, target, tool), count) in enumerate(sorted(edges.items())):
        (sx, sy), (tx, ty) = place[source], place[target]
        forward = tx > sx
        start = (sx + _NODE_W, sy + _NODE_H / 2) if forward else (sx + _NODE_W / 2, sy + _NODE_H)
        end = (tx, ty + _NODE_H / 2) if forward else (tx + _NODE_W / 2, ty + _NODE_H)
        bend = (-14 if forward else 40) + 10 * (index % 2)
        label = escape(tool + (f" \u00d7{count}" if count > 1 else ""))
        parts.append(
            f'<g class="e {escape(tool)}">{_edge(start, end, bend)}<text x="'
            f'{(start[0] + end[0]) / 2:.0f}" y="{(start[1] + end[1]) / 2 + bend / 2 - 4:.0f}">'
            f"{label}</text></g>"
        )
    for node in nodes:
        x, y = place[node]
        parts.append(
            f'<g class="n a{colours.get(node, 0)}"><title>{escape(node)}</title>'
            f'<rect x="{x}" y="{y}" width="{_NODE_W}" height="{_NODE_H}" rx="7"/>'
            f'<text x="{x + _NODE_W / 2:.0f}" y="{y + 22}">{escape(_cut(node, 20))}</text></g>'
        )
    return (
        f'<svg class="graph" role="img" aria-label="delegation graph" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">{"".join(parts)}</svg>'
    )


def _failure(text: str) -> str:
    """What pytest printed for the failure, the changes from the recording marked."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        kind = stripped.split(" ", 1)[0]
        if kind in ("add", "remove", "replace", "move", "copy") and " /" in stripped[:12]:
            lines.append(f'<span class="d {kind}">{escape(line)}</span>')
        elif stripped.startswith(("pytest --record-mode", "changes from the recording")):
            lines.append(f"<b>{escape(line)}</b>")
        else:
            lines.append(escape(line))
    return f'<div class="fail"><div class="r">failure</div><pre>{chr(10).join(lines)}</pre></div>'


def _usage_and_time(record: ReportedTest) -> tuple[int, float]:
    transcript = record["transcript"] or {}
    return int((transcript.get("usage") or {}).get("total_tokens") or 0), float(
        transcript.get("duration") or 0.0
    )


def _cost(record: ReportedTest) -> str:
    """``saved 120 tokens, 0.10 s`` for a replay; what the recording cost otherwise."""
    tokens, seconds = _usage_and_time(record)
    if not tokens and not seconds:
        return ""
    spent = _dots(f"{tokens:,} tokens" if tokens else "", _seconds(seconds) if seconds else "")
    return f"saved {spent}" if record["mode"] == "replayed" else spent


def _mode(record: ReportedTest) -> str:
    if not record["mode"]:
        return "no cassette opened"
    if record["mode"] in _WRITTEN:
        return f"{record['mode']} {_count(record['interactions'], 'interaction')}"
    if record["mode"] == "replayed":
        return f"replayed {record['played']:,} of {_count(record['interactions'], 'interaction')}"
    mode = "nothing played" if record["mode"] == "unused" else record["mode"]
    return f"{mode} ({_count(record['interactions'], 'interaction')})"


def _summary_row(record: ReportedTest) -> str:
    outcome = record["outcome"]
    turns = len((record["transcript"] or {}).get("turns") or ())
    facts = _dots(_mode(record), _count(turns, "turn") if turns else "", _cost(record))
    headline = ""
    if record["headline"]:
        headline = f'<span class="hl">{escape(_cut(record["headline"]))}</span>'
    elif outcome == "skipped" and record["note"]:
        headline = f'<span class="hl dim">{escape(_cut(record["note"]))}</span>'
    return (
        f'<summary><span class="o {outcome}">{outcome}</span> '
        f'<span class="id">{escape(record["nodeid"])}</span> '
        f'<span class="dim">{escape(facts)}</span>{headline}</summary>'
    )


def _body(record: ReportedTest) -> str:
    transcript = record["transcript"] or {}
    agents = [str(agent) for agent in transcript.get("agents") or ()]
    colours = {agent: index % _AGENT_COLOURS for index, agent in enumerate(agents)}
    turns = list(transcript.get("turns") or ())
    usage = transcript.get("usage")
    facts = [
        f"cassette <code>{escape(record['cassette'])}</code>" if record["cassette"] else "",
        escape(_mode(record)),
        escape(_tokens(usage)),
        escape(_seconds(float(transcript.get("duration") or 0)) + " provider time")
        if transcript.get("duration") else "",
        "agents " + "".join(f'<span class="ag a{colours[a]}">{escape(a)}</span>' for a in agents)
        if agents else "",
        escape(_count(transcript.get("other_requests") or 0, "other request") + " not shown")
        if transcript.get("other_requests") else "",
        f"test {escape(_seconds(record['duration']))}",
    ]  # fmt: skip
    parts = [f'<p class="meta">{" · ".join(fact for fact in facts if fact)}</p>']
    if record["note"]:
        parts.append(f'<p class="note">{escape(record["note"])}</p>')
    if len(agents) > 1 or _delegations(turns):
        parts.append(_graph(agents, turns, colours))
    parts += [_turn(turn, number, colours) for number, turn in enumerate(turns, start=1)]
    left = record["interactions"] - record["played"]
    if record["mode"] == "replayed" and left > 0 and record["failure"]:
        parts.append(f'<p class="note">{escape(_count(left, "recorded interaction"))} '
                     f"not played: the replay stopped here</p>")  # fmt: skip
    if record["failure"]:
        parts.append(_failure(record["failure"]))
    return f'<div class="b">{"".join(parts)}</div>'


def _test(record: ReportedTest, number: int) -> str:
    """A test: its summary row, and its body (inside a template unless it failed)."""
    failed = record["outcome"] in ("failed", "error")
    body = _body(record)
    return (
        f'<details class="t" id="t{number}" data-outcome="{escape(record["outcome"])}"'
        f"{' open' if failed else ''}>{_summary_row(record)}"
        f"{body if failed else f'<template>{body}</template>'}</details>"
    )


def _totals(records: list[ReportedTest]) -> str:
    outcomes = Counter(record["outcome"] for record in records)
    cassettes = {record["cassette"] for record in records if record["cassette"]}
    modes = Counter(record["mode"] for record in records if record["mode"])
    saved_tokens = saved_time = spent_tokens = spent_time = 0.0
    for record in records:
        tokens, seconds = _usage_and_time(record)
        if record["mode"] == "replayed":
            saved_tokens, saved_time = saved_tokens + tokens, saved_time + seconds
        elif record["mode"] in _WRITTEN:
            spent_tokens, spent_time = spent_tokens + tokens, spent_time + seconds
    tiles = [
        (_count(len(records), "test"),
         ", ".join(f"{outcomes[o]} {o}" for o in OUTCOMES if outcomes[o])),
        (_count(len(cassettes), "cassette"), ", ".join(f"{n} {m}" for m, n in modes.items())),
        (f"{int(saved_tokens):,} tokens saved", f"{_seconds(saved_time)} of provider time saved"),
    ]  # fmt: skip
    if spent_tokens or spent_time:
        tiles.append(
            (f"{int(spent_tokens):,} tokens recorded", f"{_seconds(spent_time)} of provider time")
        )
    return "".join(
        f'<div class="tile"><b>{escape(big)}</b><span>{escape(small or "—")}</span></div>'
        for big, small in tiles
    )


def _filters(records: list[ReportedTest]) -> str:
    outcomes = Counter(record["outcome"] for record in records)
    boxes = "".join(
        f'<label class="o {o}"><input type="checkbox" data-outcome="{o}" checked> '
        f"{o} {outcomes[o]}</label>"
        for o in OUTCOMES
        if outcomes[o]
    )
    return (
        f'<div class="bar">{boxes}<input id="q" type="search" placeholder="search tests, '
        f'prompts, answers, tools…" aria-label="search"><button id="open">expand all</button>'
        f'<button id="close">collapse all</button><span id="shown" class="dim"></span></div>'
    )


def render(records: list[ReportedTest], *, title: str, subtitle: str = "") -> str:
    """The page: a header with the totals and the filters, then each test in ``records``'
    order (see :class:`ReportedTest`).
    """
    tests = "".join(_test(record, number) for number, record in enumerate(records, start=1))
    if not records:
        tests = '<p class="note">No test used a cassette.</p>'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<header><h1>{escape(title)}</h1><p class="dim">{escape(subtitle)}</p>'
        f'<div class="tiles">{_totals(records)}</div>{_filters(records)}</header>'
        f"<main>{tests}</main><script>{_JS}</script></body></html>\n"
    )


_PALETTE = ("#2563eb", "#9333ea", "#0891b2", "#c2410c", "#15803d", "#be185d", "#4d7c0f", "#854d0e")
_MONO = "ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"
_CSS = (
    ":root{--f:#b91c1c;--p:#15803d;--e:#c2410c;--s:#6b7280;--l:#e5e7eb;color:#111827;"
    "background:#f8fafc;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
    "body{margin:0}[hidden]{display:none!important}"
    "header{background:#fff;border-bottom:1px solid var(--l);padding:14px 24px 10px}"
    "h1{font-size:20px;margin:0}header p{margin:2px 0}"
    ".tiles{display:flex;gap:10px;flex-wrap:wrap;margin:10px 0}"
    ".tile{border:1px solid var(--l);border-radius:8px;padding:5px 12px;background:#f9fafb;"
    "display:flex;flex-direction:column}.tile b{font-size:16px}.tile span{color:#4b5563;"
    "font-size:12px}.bar{display:flex;gap:8px;align-items:center;flex-wrap:wrap}"
    ".bar label{cursor:pointer;font-size:13px}#q{flex:1;min-width:220px;padding:5px 8px;"
    "border:1px solid #d1d5db;border-radius:6px;font:inherit}button{font:inherit;"
    "font-size:13px;padding:4px 10px;border:1px solid #d1d5db;border-radius:6px;"
    "background:#fff;cursor:pointer}main{padding:10px 24px 40px}"
    "details.t{background:#fff;border:1px solid var(--l);border-left:4px solid var(--s);"
    "border-radius:6px;margin:6px 0}details.t>summary{padding:6px 10px;cursor:pointer}"
    "details.t[data-outcome=passed]{border-left-color:var(--p)}"
    "details.t[data-outcome=failed]{border-left-color:var(--f)}"
    "details.t[data-outcome=error]{border-left-color:var(--e)}"
    "span.o{display:inline-block;font-size:11px;font-weight:600;text-transform:uppercase;"
    "padding:1px 6px;border-radius:4px;color:#fff;background:var(--s)}"
    "span.o.passed{background:var(--p)}span.o.failed{background:var(--f)}"
    "span.o.error{background:var(--e)}label.o.passed{color:var(--p)}"
    "label.o.failed{color:var(--f)}label.o.error{color:var(--e)}"
    f".id,code{{font-family:{_MONO};font-size:13px}}.id{{font-weight:600}}.dim{{color:#6b7280}}"
    f".hl{{display:block;color:var(--f);font:12px {_MONO};margin-top:2px}}.hl.dim{{color:#6b7280}}"
    ".b{padding:2px 14px 12px;border-top:1px solid var(--l)}.meta{color:#374151;"
    "font-size:13px}.note{color:#92400e}.turn{border-left:2px solid var(--l);"
    "margin:10px 0 10px 4px;padding-left:12px}.turn h4{margin:0 0 4px;font-size:12px;"
    "color:#4b5563}.m{--c:#6b7280;display:grid;grid-template-columns:150px 1fr;gap:8px;"
    "margin:3px 0}.m.user{--c:#0e7490}.m.assistant{--c:#15803d}.m.tool{--c:#a16207}"
    ".m.err,.m.mcp .bad{--c:#b91c1c;color:var(--c)}.r{color:var(--c);font-size:12px;"
    "font-weight:600;text-align:right;padding-top:3px}.c{min-width:0}"
    ".m.user .c,.m.assistant .c,.m.tool .c{border-radius:6px;padding:3px 8px}"
    ".m.user .c{background:#ecfeff}.m.assistant .c{background:#f0fdf4}"
    ".m.tool .c{background:#fefce8}.x{white-space:pre-wrap;overflow-wrap:anywhere}"
    f"details.call>summary,.fold>summary{{cursor:pointer;font:12.5px {_MONO}}}"
    ".res{font-size:12px;color:#6b7280}"
    f"pre{{margin:4px 0;white-space:pre-wrap;overflow-wrap:anywhere;font:12px/1.4 {_MONO}}}"
    ".args{background:#f3f4f6;padding:6px 8px;border-radius:4px}"
    ".fail{display:grid;grid-template-columns:150px 1fr;gap:8px;margin-top:10px}"
    ".fail .r{color:var(--f)}.fail pre{background:#fef2f2;border:1px solid #fecaca;"
    "padding:8px 10px;border-radius:6px;margin:0}.d.remove{color:#b91c1c}"
    ".d.add{color:#15803d}.d.replace,.d.move,.d.copy{background:#fef3c7}"
    ".ag{display:inline-block;padding:0 7px;border-radius:9px;color:#fff;font-size:11px;"
    "margin-right:6px;background:var(--c)}svg.graph{display:block;margin:8px 0;"
    "max-width:100%;height:auto}.graph rect{fill:#fff;stroke:var(--c);stroke-width:2}"
    ".graph .n text{text-anchor:middle;font-size:13px;fill:#111827}"
    ".graph path{fill:none;stroke:#6b7280;stroke-width:1.5}.graph polygon{fill:#6b7280}"
    ".graph .handoff path{stroke-dasharray:5 4}"
    ".graph .e text{font-size:11px;fill:#4b5563;text-anchor:middle}"
    + "".join(f".a{index}{{--c:{colour}}}" for index, colour in enumerate(_PALETTE))
)
# Filters and search (given in the URL too: report.html?q=words); a test's body leaves its
# <template> the first time it is opened (or named in the URL: report.html#t3).
_JS = """(() => {
const tests = [...document.querySelectorAll("details.t")], q = document.getElementById("q");
const inner = d => d.querySelector(":scope>template");
const fill = d => { const t = inner(d); if (t) { d.append(t.content); t.remove(); } };
const texts = new Map();
const text = d => {
  if (!texts.has(d)) {
    const t = inner(d);
    texts.set(d, (d.textContent + " " + (t ? t.content.textContent : "")).toLowerCase());
  }
  return texts.get(d);
};
function apply() {
  const words = q.value.toLowerCase().split(/\\s+/).filter(Boolean);
  const boxes = [...document.querySelectorAll("input[data-outcome]:checked")];
  const on = new Set(boxes.map(i => i.dataset.outcome));
  let shown = 0;
  for (const d of tests) {
    d.hidden = !(on.has(d.dataset.outcome) && words.every(w => text(d).includes(w)));
    shown += !d.hidden;
  }
  document.getElementById("shown").textContent = `${shown} of ${tests.length} tests shown`;
}
function go() {
  const d = location.hash && document.getElementById(location.hash.slice(1));
  if (d && d.matches("details.t")) { d.open = true; fill(d); d.scrollIntoView(); }
}
document.addEventListener("toggle", e => { if (e.target.open) fill(e.target); }, true);
document.querySelectorAll("input").forEach(i => i.addEventListener("input", apply));
document.getElementById("open").onclick = () => tests.forEach(d => {
  if (!d.hidden) { fill(d); d.open = true; }
});
document.getElementById("close").onclick = () => tests.forEach(d => { d.open = false; });
q.value = new URLSearchParams(location.search).get("q") || q.value;
addEventListener("hashchange", go); go(); apply();
})();"""
