"""asgi_chart.py: draw bench.asgi's chart, server CPU per request in grouped bars, as a PNG.

Usage: PYTHON -m bench.asgi_chart DATA.json OUT.png, where PYTHON has
matplotlib: bench.asgi runs it with the peers' Python (bench/asgi_peers.py)
and writes DATA.json itself. DATA is an object with `groups` (the x-axis
groups), `series` (the bars of each group, in order), `values` (series ->
one µs figure or null per group) and `caption` (lines under the chart).
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display: render to a file
import matplotlib.pyplot as plt  # noqa: E402

# One colour per server; Lesto's two front-ends share a hue, the references are grey.
COLOURS = {
    "ceiling": "#9e9e9e",
    "Lesto (Lesto API)": "#1b5e20",
    "Lesto (ASGI)": "#66bb6a",
    "granian": "#ef6c00",
    "uvicorn": "#1565c0",
}


def draw(data: dict, out: str) -> None:
    groups, series = data["groups"], data["series"]
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(9, 5.6), dpi=110)
    top = max((v for s in series for v in data["values"][s] if v is not None), default=1.0)
    for i, name in enumerate(series):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        values = data["values"][name]
        heights = [v or 0.0 for v in values]
        bars = ax.bar(xs, heights, width * 0.92, label=name, color=COLOURS.get(name, "#7e57c2"))
        for bar, value in zip(bars, values):
            x = bar.get_x() + bar.get_width() / 2
            if value is None:  # a row this run did not have: say so rather than draw a zero
                ax.text(x, top * 0.02, "not\nmeasured", ha="center", va="bottom", fontsize=7, color="#616161")
            else:
                ax.text(x, value + top * 0.01, f"{value:.1f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylabel("server CPU per request, µs (lower is better)")
    ax.set_title(data.get("title", ""), pad=30)
    ax.set_ylim(0, top * 1.1)
    ax.spines[["top", "right"]].set_visible(False)
    # One row between the title and the bars, where no bar can be under it.
    ax.legend(frameon=False, fontsize=9, ncol=len(series), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    caption = "\n".join(data.get("caption", []))
    fig.text(0.01, 0.01, caption, ha="left", va="bottom", fontsize=7.5, color="#424242", family="monospace")
    lines = caption.count("\n") + 1
    fig.tight_layout(rect=(0, 0.035 * lines, 1, 1))
    fig.savefig(out)
    plt.close(fig)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.exit("usage: python -m bench.asgi_chart DATA.json OUT.png")
    with open(argv[0]) as f:
        draw(json.load(f), argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
