"""The DuckDB rows of the README's Performance table: the same grouping by session ID that
`sessionscope stats` does first, on the same files. Usage: python3 bench/duckdb_baseline.py FILE
(needs `pip install duckdb`; bench/run.sh runs it when DuckDB is installed)."""
import sys
import time

import duckdb

path = sys.argv[1]
con = duckdb.connect()
con.execute("SET threads = 2")
if path.endswith(".csv"):
    query = f"""
        SELECT json_extract_string(AuditData, '$.SessionId') AS session, count(*)
        FROM read_csv('{path}', header = true, max_line_size = 67108864)
        GROUP BY session"""
else:
    layout = "array" if path.endswith(".json") else "newline_delimited"
    query = f"""
        SELECT SessionId AS session, count(*)
        FROM read_json('{path}', format = '{layout}')
        GROUP BY session"""
started = time.perf_counter()
groups = con.execute(query).fetchall()
print(f"duckdb {duckdb.__version__}: {len(groups)} sessions in {time.perf_counter() - started:.2f} s")
