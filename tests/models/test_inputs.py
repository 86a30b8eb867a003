import io

import pytest

from moderation.scorers.inputs import InputError, Record, guess_format, read_records


def test_it_reads_the_text_id_and_language_columns_of_a_tsv() -> None:
    """TSV rows give their text, id and lang; other columns are ignored."""
    data = io.StringIO('id\ttext\tlang\tlabel\n7\tsalut "toi"\tfr\t0\n')
    assert list(read_records(data, "tsv")) == [Record('salut "toi"', "7", "fr")]


def test_it_reads_quoted_csv() -> None:
    """CSV fields may hold commas and newlines inside quotes."""
    data = io.StringIO('text,other\n"hello, you\nthere",x\n')
    assert list(read_records(data, "csv")) == [Record("hello, you\nthere")]


def test_it_reads_jsonl_objects_and_strings() -> None:
    """JSONL lines are objects with a text field, or bare strings; blank lines are skipped."""
    data = io.StringIO('{"text": "a", "language": "en"}\n\n"b"\n')
    assert list(read_records(data, "jsonl")) == [Record("a", None, "en"), Record("b")]


def test_it_names_the_line_of_a_record_without_text() -> None:
    """A JSONL object with no text field is an error naming its line."""
    with pytest.raises(InputError, match="line 2"):
        list(read_records(io.StringIO('{"text": "a"}\n{"body": "b"}\n'), "jsonl"))


def test_it_refuses_a_table_without_a_text_column() -> None:
    """A TSV whose header has no 'text' column is an error, not silent garbage."""
    with pytest.raises(InputError, match="no 'text' column"):
        list(read_records(io.StringIO("body\nx\n"), "tsv"))


def test_it_guesses_the_format_from_the_name_then_the_first_line() -> None:
    """Suffix wins; otherwise JSON objects, a tab header, a CSV header, else plain lines."""
    assert guess_format("a.csv", "text\tx") == "csv"
    assert guess_format("-", '{"text": 1}') == "jsonl"
    assert guess_format("-", "text\tlabel") == "tsv"
    assert guess_format("-", "id,text") == "csv"
    assert guess_format("-", "just a comment") == "lines"


@pytest.mark.parametrize(
    ("data", "fmt", "problem"),
    [
        ('{"text": "a"}\n5\n', "jsonl", "line 2: a JSON int, expected an object"),
        ('{"text": "a"}\nnull\n', "jsonl", "line 2: a JSON NoneType"),
        ('{"text": "a"}\n{"text": 5}\n', "jsonl", "line 2: 'text' is int, expected a string"),
        ("", "csv", "empty CSV: expected a header line"),
        ("", "tsv", "empty TSV"),
        ('text\nok\n"never closed\n' + "x" * 200_000 + "\n", "csv", "line 3: field larger"),
    ],
)
def test_it_refuses_malformed_records_by_line(data: str, fmt: str, problem: str) -> None:
    """Records that are not what the format promises are errors naming their line."""
    with pytest.raises(InputError, match=problem):
        list(read_records(io.StringIO(data, newline=""), fmt))
