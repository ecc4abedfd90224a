"""Parquet files are written without dictionary pages (ids are unique; zstd handles repeats)."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from gcexport.sinks.formats import TableFileWriter, write_table_bytes

TABLE = pa.table(
    {
        "conversation_id": [f"c-{i}" for i in range(500)],
        "media_type": ["voice", "chat"] * 250,
    }
)


def encodings(metadata: pq.FileMetaData) -> set[str]:
    group = metadata.row_group(0)
    return {e for i in range(group.num_columns) for e in group.column(i).encodings}


def test_streamed_parquet_has_no_dictionary_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    with TableFileWriter(path, "parquet", schema=TABLE.schema) as writer:
        writer.write(TABLE)
    assert not {"PLAIN_DICTIONARY", "RLE_DICTIONARY"} & encodings(pq.ParquetFile(path).metadata)
    assert pq.read_table(path).equals(TABLE)


def test_whole_file_parquet_has_no_dictionary_and_reads_back() -> None:
    data = write_table_bytes(TABLE, "parquet")
    metadata = pq.ParquetFile(io.BytesIO(data)).metadata
    assert not {"PLAIN_DICTIONARY", "RLE_DICTIONARY"} & encodings(metadata)
    assert pq.read_table(io.BytesIO(data)).equals(TABLE)
