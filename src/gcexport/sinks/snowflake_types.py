"""Arrow types to Snowflake column types (pure; no driver needed).

Example::

    snowflake_type(pa.timestamp("us", tz="UTC"))   # 'TIMESTAMP_TZ'
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.types as pat

__all__ = ["snowflake_type"]


def snowflake_type(arrow: pa.DataType) -> str:
    """The Snowflake column type that holds `arrow` values without loss."""
    if pat.is_dictionary(arrow):
        return snowflake_type(arrow.value_type)
    if pat.is_boolean(arrow):
        return "BOOLEAN"
    if pat.is_integer(arrow) or pat.is_duration(arrow):
        return "NUMBER(38,0)"
    if pat.is_floating(arrow):
        return "FLOAT"
    if pat.is_decimal(arrow):
        return f"NUMBER({min(arrow.precision, 38)},{arrow.scale})"
    if pat.is_date(arrow):
        return "DATE"
    if pat.is_timestamp(arrow):
        return "TIMESTAMP_TZ" if arrow.tz else "TIMESTAMP_NTZ"
    if pat.is_time(arrow):
        return "TIME"
    if pat.is_binary(arrow) or pat.is_large_binary(arrow) or pat.is_fixed_size_binary(arrow):
        return "BINARY"
    if pat.is_nested(arrow):
        return "VARIANT"  # lists, structs and maps load from Parquet as semi-structured values
    return "VARCHAR"
