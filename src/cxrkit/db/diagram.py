"""The schema of a loaded release as a diagram, read from the live database.

Foreign keys are drawn where the database declares them: PostgreSQL (DuckDB checks them at
load time but cannot declare them on filled tables, see :mod:`cxrkit.db.backends`).

:func:`read_schema` asks the database's ``information_schema`` (DuckDB and PostgreSQL) for the
tables, their columns and types, primary and foreign keys, and the views; :func:`draw` makes a
PNG of it with matplotlib and :func:`mermaid` the text of a Mermaid ER diagram.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cxrkit.db.backends import Backend
from cxrkit.errors import ConfigError


@dataclass(frozen=True)
class SchemaGraph:
    tables: dict[str, list[tuple[str, str]]]  # table → [(column, type)], in column order
    primary: set[tuple[str, str]]  # (table, column)
    foreign: list[tuple[str, str, str, str]]  # (table, column, target table, target column)
    views: list[str]


_TYPE_NAMES = {
    "character varying": "text",
    "varchar": "text",
    "double precision": "double",
    "timestamp without time zone": "timestamp",
}


def _type_name(kind: str) -> str:
    """One name per type whichever database reports it (``double precision`` → ``double``)."""
    kind = kind.lower()
    return _TYPE_NAMES.get(kind, kind)


def read_schema(db: Backend, schema: str) -> SchemaGraph:
    """The tables, keys and views of ``schema`` as the database itself reports them."""
    if db.dialect == "sqlite":
        raise ConfigError("the diagram is drawn from DuckDB or PostgreSQL (SQLite has no schema)")
    where = f"table_schema = '{schema}'"
    kinds = dict(
        db.query(f"SELECT table_name, table_type FROM information_schema.tables WHERE {where}")
    )
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in db.query(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        f"WHERE {where} ORDER BY table_name, ordinal_position"
    ):
        if kinds.get(table) == "BASE TABLE" and not str(table).startswith("_"):
            tables.setdefault(str(table), []).append((str(column), _type_name(str(kind))))
    primary = {
        (str(t), str(c))
        for t, c in db.query(
            "SELECT k.table_name, k.column_name FROM information_schema.table_constraints c "
            "JOIN information_schema.key_column_usage k "
            "ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema "
            f"WHERE c.{where} AND c.constraint_type = 'PRIMARY KEY'"
        )
    }
    foreign = sorted(
        (str(a), str(b), str(c), str(d))
        for a, b, c, d in db.query(
            "SELECT k.table_name, k.column_name, u.table_name, u.column_name "
            "FROM information_schema.referential_constraints r "
            "JOIN information_schema.key_column_usage k ON k.constraint_name = r.constraint_name "
            "AND k.constraint_schema = r.constraint_schema "
            "JOIN information_schema.key_column_usage u "
            "ON u.constraint_name = r.unique_constraint_name "
            "AND u.constraint_schema = r.unique_constraint_schema "
            f"WHERE r.constraint_schema = '{schema}'"
        )
    )
    views = sorted(str(t) for t, kind in kinds.items() if kind == "VIEW")
    return SchemaGraph(tables, primary, foreign, views)


def _keys(graph: SchemaGraph, table: str, column: str) -> list[str]:
    keys = ["PK"] if (table, column) in graph.primary else []
    return keys + (["FK"] if any(f[:2] == (table, column) for f in graph.foreign) else [])


def mermaid(graph: SchemaGraph) -> str:
    """A Mermaid ``erDiagram`` of the tables and their foreign keys."""
    lines = ["erDiagram"]
    for table, columns in sorted(graph.tables.items()):
        lines.append(f"    {table} {{")
        for column, kind in columns:
            keys = ", ".join(_keys(graph, table, column))
            name = column.replace(" ", "_")
            lines.append(f"        {kind.split('(')[0].replace(' ', '_')} {name} {keys}".rstrip())
        lines.append("    }")
    for table, column, target, _ in graph.foreign:
        lines.append(f'    {target} ||--o{{ {table} : "{column}"')
    return "\n".join(lines) + "\n"


#: Tables others point at first, so the arrows stay short.
_FIRST = ("study_list", "record_list", "split", "metadata")
_WIDTH, _STEP, _LINE = 4.7, 5.1, 0.32


def _row_y(top: float, index: int) -> float:
    return top - 0.65 - index * _LINE


def draw(graph: SchemaGraph, path: Path) -> Path:
    """A PNG of the tables (columns, keys) with an arrow from every foreign key column to the
    column it references, and the names of the views."""
    import matplotlib  # noqa: PLC0415 - drawing is rare; keep imports light

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    names = [t for t in _FIRST if t in graph.tables] + sorted(set(graph.tables) - set(_FIRST))
    per_row = 4
    row_height = max(len(graph.tables[t]) for t in names) * _LINE + 1.2
    rows = (len(names) - 1) // per_row + 1
    fig, ax = plt.subplots(figsize=(per_row * _STEP * 0.8, rows * row_height * 0.8 + 1.2))
    boxes: dict[str, tuple[float, float]] = {}  # table → (left, top)
    for k, table in enumerate(names):
        x, top = (k % per_row) * _STEP, -(k // per_row) * row_height
        columns = graph.tables[table]
        boxes[table] = (x, top)
        height = len(columns) * _LINE + 0.5
        ax.add_patch(Rectangle((x, top - height), _WIDTH, height, fill=False, lw=1.2))
        ax.text(x + 0.1, top - 0.3, table, weight="bold", fontsize=10)
        for i, (column, kind) in enumerate(columns):
            key = "".join(f"{k} " for k in _keys(graph, table, column))
            ax.text(x + 0.15, _row_y(top, i), f"{key}{column}", fontsize=7, va="center")
            ax.text(x + _WIDTH - 0.1, _row_y(top, i), kind.split("(")[0], fontsize=6,
                    ha="right", va="center", color="dimgrey")  # fmt: skip
    for table, column, target, target_column in graph.foreign:
        (x1, t1), (x2, t2) = boxes[table], boxes[target]
        y1 = _row_y(t1, [c for c, _ in graph.tables[table]].index(column))
        y2 = _row_y(t2, [c for c, _ in graph.tables[target]].index(target_column))
        start = x1 if x2 <= x1 else x1 + _WIDTH
        end = x2 + _WIDTH if x2 < x1 else x2
        ax.annotate("", xy=(end, y2), xytext=(start, y1), arrowprops={
            "arrowstyle": "->", "color": "tab:blue", "alpha": 0.7,
            "connectionstyle": f"arc3,rad={0.3 if x2 == x1 else 0.1}"})  # fmt: skip
    bottom = -rows * row_height
    ax.text(0, bottom + 0.2, "views: " + ", ".join(graph.views), fontsize=9, style="italic")
    ax.set_xlim(-0.5, per_row * _STEP)
    ax.set_ylim(bottom - 0.2, 0.4)
    ax.axis("off")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
