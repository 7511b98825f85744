"""Every SQL statement in the library and the Dagster layer binds its values as parameters: the SQL text
handed to the driver is a literal (or a module constant holding one), never built from data. The few
statements that must splice an identifier are listed here with the reason it is safe."""

from __future__ import annotations

import ast

from forecast_pipeline.config import PROJECT_ROOT

SQL_CALLS = {"text", "execute", "executemany", "copy_expert", "read_sql", "read_sql_query", "exec_driver_sql"}

# (file, unparsed first argument) -> why it is not built from data
ALLOWED = {
    (
        "forecast_pipeline/ingest.py",
        "f'COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)'",
    ): "table and columns are checked against the _COPY_TABLES allow-list first; data goes in the COPY stream",
    (
        "forecast_pipeline/backtest/store.py",
        "f'INSERT INTO forecast.backtest_races (backtest_id, {', '.join(_RACE_COLS)}) VALUES (:bid, "
        "{', '.join((':' + c for c in _RACE_COLS))})'",
    ): "column names from the module constant _RACE_COLS; values are bound (:name)",
    (
        "forecast_pipeline/db/migrate.py",
        "sql",
    ): "run_script: the text of a migration file from sql/ (the repo)",
    (
        "forecast_pipeline/db/engine.py",
        "statement",
    ): "psycopg2.sql.SQL('SET ROLE {}').format(sql.Identifier(role))",
    ("forecast_pipeline/schemas/tables.py", "spec.query"): "TableSpec.query: string constants in TABLE_SPECS",
    ("forecast_pipeline/schemas/tables.py", "sa.text(spec.query)"): "as above",
    (
        "forecast_pipeline/report/build.py",
        "sql",
    ): "_read: callers pass literal SQL from this module; values are bound",
    (
        "forecast_pipeline/report/plots.py",
        "col + 0.47",
    ): "matplotlib ax.text(x, ...), not SQL (a name clash on .text)",
    (
        "forecast_pipeline/voterfile/aggregate.py",
        "f'CREATE TEMP TABLE _agg ON COMMIT DROP AS {query_text(name)}'",
    ): "the text of a query file in sql/queries/ chosen from the module's fixed table names; cycle bound",
    (
        "forecast_pipeline/voterfile/aggregate.py",
        "f'DELETE FROM voterfile.{name} WHERE cycle = :cycle'",
    ): "name from the module's fixed composition table names; cycle bound",
    (
        "forecast_pipeline/voterfile/aggregate.py",
        "f'INSERT INTO voterfile.{name} SELECT * FROM _agg'",
    ): "name from the module's fixed composition table names",
    ("forecast_pipeline/voterfile/aggregate.py", "BARE_GROUP_BY[name]"): "module constant SQL; cycle bound",
    (
        "forecast_pipeline/voterfile/generator.py",
        "f'COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)'",
    ): "table and columns are the generator's own constants; data goes in the COPY stream",
    (
        "forecast_pipeline/voterfile/generator.py",
        "f'DELETE FROM voterfile.{table} WHERE cycle = %s AND state_cd = %s'",
    ): "table from the literal tuple ('voters', 'vote_history'); values bound",
    ("forecast_pipeline/voterfile/mrp.py", "sql"): "sa.text of a literal in the same function; cycle bound",
}


def _name(func: ast.expr) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _constants(tree: ast.Module) -> set[str]:
    """Module-level names bound to a string literal or sa.text(<literal>)."""
    out = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if _static(node.value, set()):
                out.add(node.targets[0].id)
    return out


def _static(arg: ast.expr, constants: set[str]) -> bool:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return True
    if isinstance(arg, ast.Call) and _name(arg.func) == "text" and arg.args:
        return _static(arg.args[0], constants)
    return isinstance(arg, ast.Name) and arg.id in constants


def _sql_calls():
    files = sorted(
        [*(PROJECT_ROOT / "forecast_pipeline").rglob("*.py"), *(PROJECT_ROOT / "assets").rglob("*.py")]
    )
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _constants(tree)
        rel = path.relative_to(PROJECT_ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in SQL_CALLS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and not isinstance(first.value, str):
                    continue  # matplotlib's ax.text(x, y, ...)
                yield rel, node, constants


def test_every_sql_statement_is_a_literal_with_bound_parameters():
    dynamic = []
    n = 0
    for rel, node, constants in _sql_calls():
        n += 1
        arg = node.args[0]
        if _static(arg, constants) or (rel, ast.unparse(arg)) in ALLOWED:
            continue
        # an execute() whose statement is a text() call is checked where the text() call is
        if isinstance(arg, ast.Call) and _name(arg.func) == "text":
            continue
        dynamic.append(f"{rel}:{node.lineno}: {ast.unparse(arg)[:120]}")
    assert n > 40  # the scan sees the code base's statements
    assert not dynamic, "SQL built from non-literal text:\n" + "\n".join(dynamic)


def test_allow_list_entries_still_exist():
    seen = {(rel, ast.unparse(node.args[0])) for rel, node, _ in _sql_calls()}
    assert set(ALLOWED) <= seen, set(ALLOWED) - seen
