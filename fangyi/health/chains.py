"""The chain of transmission (传播链): from a person to their close contacts, their
contacts' contacts… (health.exposures), laid out for an SVG the page draws on the server,
each person coloured by their epidemic state (people.state)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from fangyi.health.exposures import visible_ids
from fangyi.health.models import Exposure
from fangyi.people.choices import EpidemicState
from fangyi.people.models import Person

# How far the chain is followed, and how many people it draws at most.
GRAPH_LEVELS = 3
GRAPH_MAX_PEOPLE = 200

# Colours of the states in the graph: red for cases and isolation, orange for quarantine,
# purple for contacts under observation, yellow for what the gate holds, green for clear.
STATE_COLOURS: dict[str, str] = {
    EpidemicState.CONFIRMED.value: "#b71c1c",
    EpidemicState.POSITIVE.value: "#d32f2f",
    EpidemicState.SUSPECTED.value: "#e53935",
    EpidemicState.HOSPITAL.value: "#c62828",
    EpidemicState.OBSERVATION.value: "#ef5350",
    EpidemicState.STATION.value: "#ef6c00",
    EpidemicState.HOME.value: "#fb8c00",
    EpidemicState.CONTACT.value: "#7b1fa2",
    EpidemicState.REVIEW.value: "#f9a825",
    EpidemicState.RETURNEE.value: "#fbc02d",
    EpidemicState.UNVERIFIED.value: "#fdd835",
    EpidemicState.CLEAR.value: "#2e7d32",
}
NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 150, 44, 60, 14, 10


@dataclass
class Node:
    person_id: int
    name: str | None
    state: str
    state_label: str
    level: int
    colour: str
    x: int = 0
    y: int = 0
    # Text on a dark fill is white.
    light_text: bool = True


@dataclass
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    width: int = 0
    height: int = 0
    truncated: bool = False
    legend: list[tuple[str, str]] = field(default_factory=list)

    @property
    def levels(self) -> int:
        return max((n.level for n in self.nodes), default=0)


def transmission_graph(user, person: Person, levels: int = GRAPH_LEVELS) -> Graph:
    """The chain of transmission from `person`: its contacts, their contacts… up to
    `levels` steps, each person once (at the first level they are reached), laid out
    in columns for an SVG drawn by the template. One query per level."""
    level_of = {person.pk: 0}
    links: list[tuple[int, int]] = []
    frontier = [person.pk]
    truncated = False
    for level in range(1, levels + 1):
        if not frontier:
            break
        rows = Exposure.objects.filter(index_person_id__in=frontier).values_list(
            "index_person_id", "contact_id"
        )
        nxt = []
        for source, target in sorted(set(rows)):
            if target not in level_of:
                if len(level_of) >= GRAPH_MAX_PEOPLE:
                    truncated = True
                    continue
                level_of[target] = level
                nxt.append(target)
            if level_of[target] > level_of[source]:
                links.append((source, target))
        frontier = nxt
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in=list(level_of)).only("id", "name", "epidemic_state")
    }
    visible = visible_ids(user, set(level_of))
    labels = dict(EpidemicState.choices)
    by_level: dict[int, list[int]] = defaultdict(list)
    for pid, level in sorted(level_of.items(), key=lambda item: (item[1], item[0])):
        by_level[level].append(pid)
    graph = Graph(truncated=truncated)
    positions: dict[int, tuple[int, int]] = {}
    tallest = max(len(ids) for ids in by_level.values())
    for level, ids in sorted(by_level.items()):
        for row, pid in enumerate(ids):
            p = people[pid]
            x = PAD + level * (NODE_W + COL_GAP)
            y = PAD + row * (NODE_H + ROW_GAP)
            positions[pid] = (x, y)
            graph.nodes.append(
                Node(
                    person_id=pid,
                    name=p.name if pid in visible else None,
                    state=p.epidemic_state,
                    state_label=str(labels.get(p.epidemic_state, p.epidemic_state)),
                    level=level,
                    colour=STATE_COLOURS.get(p.epidemic_state, "#757575"),
                    x=x,
                    y=y,
                    light_text=p.epidemic_state
                    not in (
                        EpidemicState.REVIEW,
                        EpidemicState.RETURNEE,
                        EpidemicState.UNVERIFIED,
                    ),
                )
            )
    for source, target in links:
        (sx, sy), (tx, ty) = positions[source], positions[target]
        graph.edges.append(Edge(sx + NODE_W, sy + NODE_H // 2, tx, ty + NODE_H // 2))
    graph.width = PAD * 2 + (max(by_level) + 1) * NODE_W + max(by_level) * COL_GAP
    graph.height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP
    shown = {n.state for n in graph.nodes}
    graph.legend = [
        (STATE_COLOURS[s], str(label)) for s, label in EpidemicState.choices if s in shown
    ]
    return graph
