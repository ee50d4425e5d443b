"""CSV exports read as rows (shared by the Zuora and Salesforce taps)."""

from __future__ import annotations

import io

import pytest

from bizops_core.csv_rows import header_rows
from bizops_core.errors import DataError


def test_rows_are_keyed_by_the_renamed_header_and_keep_quoted_line_breaks() -> None:
    text = io.StringIO('Account.Id,Account.Name\n1,"two\nlines"\n2,""\n', newline="")
    rows = list(header_rows(text, "file x", lambda cell: cell.split(".")[-1]))
    assert rows == [{"Id": "1", "Name": "two\nlines"}, {"Id": "2", "Name": ""}]


def test_an_empty_file_has_no_rows() -> None:
    assert list(header_rows(io.StringIO(""), "file x")) == []


def test_a_row_of_another_width_is_a_data_error_naming_its_line() -> None:
    rows = header_rows(io.StringIO("Id,Name\n1,a\n2,b,extra\n"), "Salesforce Bulk job 750x")
    assert next(rows) == {"Id": "1", "Name": "a"}
    with pytest.raises(DataError) as info:
        next(rows)
    assert str(info.value) == "Salesforce Bulk job 750x line 3: 3 cells, the header has 2"
