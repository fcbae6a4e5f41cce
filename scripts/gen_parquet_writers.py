"""Writes small Parquet files in the layouts other writers produce, for the test that the
structural check (src/data/formats/parquet/check.rs) refuses no well-formed file:
pyarrow with each codec, data page v1 and v2, dictionary on and off, statistics, nulls, many
small pages and several row groups.

Run: python3 -m venv /tmp/pa && /tmp/pa/bin/pip install pyarrow && /tmp/pa/bin/python
scripts/gen_parquet_writers.py   (writes tests/data/parquet_writers/*.parquet)
"""
import os

import pyarrow as pa
import pyarrow.parquet as pq

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "parquet_writers")
os.makedirs(OUT, exist_ok=True)

n = 600
table = pa.table(
    {
        "requests": pa.array([float((i * 37) % 101) for i in range(n)]),
        "bytes": pa.array([i * 1000 if i % 7 else None for i in range(n)], pa.int64()),
        "errors": pa.array([i % 5 for i in range(n)], pa.int32()),
        "host": pa.array([f"host-{i % 9}" if i % 11 else None for i in range(n)]),
        "ok": pa.array([i % 3 == 0 for i in range(n)]),
    }
)

variants = {
    "snappy_v1_dict": dict(compression="snappy", data_page_version="1.0", use_dictionary=True),
    "zstd_v2_dict": dict(compression="zstd", data_page_version="2.0", use_dictionary=True),
    "gzip_v1_plain": dict(compression="gzip", data_page_version="1.0", use_dictionary=False),
    "none_v2_plain": dict(compression="none", data_page_version="2.0", use_dictionary=False),
    "lz4_v1_nostats": dict(compression="lz4", write_statistics=False),
    "brotli_small_pages": dict(
        compression="brotli", data_page_size=256, row_group_size=150, use_dictionary=False
    ),
    "byte_stream_split": dict(
        compression="snappy",
        use_dictionary=False,
        column_encoding={"requests": "BYTE_STREAM_SPLIT", "errors": "DELTA_BINARY_PACKED"},
    ),
}
for name, options in variants.items():
    pq.write_table(table, os.path.join(OUT, f"{name}.parquet"), **options)
print(f"wrote {len(variants)} files to {os.path.normpath(OUT)}")
