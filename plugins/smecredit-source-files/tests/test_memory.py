"""Streaming: memory stays flat however long the file is."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from smecredit_source_files.readers import read_rows

ROW = "91110105MA01ABCDEB,北京甲科技有限公司{i},张三,2019/3/5,{i}万,备注{i}\n"


def _write(path: Path, rows: int) -> Path:
    with path.open("w", encoding="gbk", newline="") as out:
        out.write("统一社会信用代码,企业名称,法定代表人,成立日期,注册资本,联系地址\n")
        for i in range(rows):
            out.write(ROW.format(i=i))
    return path


def _peak_while_reading(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for result in read_rows(path, kind="firm") if result.record is not None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    small = _write(tmp_path / "small.csv", 25_000)
    large = _write(tmp_path / "large.csv", 100_000)
    assert large.stat().st_size > 3 * small.stat().st_size
    small_count, small_peak = _peak_while_reading(small)
    large_count, large_peak = _peak_while_reading(large)
    assert (small_count, large_count) == (25_000, 100_000)
    # a reader that kept rows would need over 4x the memory for 4x the rows
    assert large_peak < 1.5 * small_peak + 256 * 1024, (small_peak, large_peak)
    assert large_peak < 4 * 1024 * 1024, large_peak
