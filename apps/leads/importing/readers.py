"""Read an uploaded lead file (CSV, XLSX or JSON) into (row number, {column: value}) pairs.

Every way a file can be unreadable ends in an ImportFileError with an HTTP status and a code,
before a single row is written. CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else
Windows-1252/Latin-1; comma, semicolon, tab or pipe; quoted newlines; blank lines skipped. XLSX: a
zip checked for bombs before it is opened, XML parsed through defusedxml. JSON: a list of objects,
or {"leads": [...]} as spec 003 sends it.
"""

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings

ROW_NUMBER_NOTE = "Rows are numbered as in a spreadsheet: the header is row 1, the first lead row 2."
_SNIFF_BYTES = 64 * 1024


class _Borrowed(io.RawIOBase):
    """Reads through to a stream the caller owns; closing it leaves that stream open (text wrappers
    close what they wrap when they are collected)."""

    def __init__(self, stream: IO[bytes]):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence) or self._stream.tell()

    def tell(self) -> int:
        return self._stream.tell()

    def close(self) -> None:
        pass


class ImportFileError(Exception):
    def __init__(self, message: str, *, code: str, status: int = 400):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


@dataclass
class RowSource:
    """What a reader yields: the header (as written) and the rows with their numbers."""

    format: str
    header: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]


def detect_format(name: str, head: bytes) -> str:
    lower = (name or "").lower()
    if lower.endswith(".xls"):
        raise ImportFileError("Legacy .xls files are not supported: save the sheet as .xlsx or .csv.",
                              code="UNSUPPORTED_FILE_TYPE", status=415)  # fmt: skip
    is_zip = head.startswith(b"PK\x03\x04")
    if lower.endswith(".xlsx"):
        if not is_zip:
            raise ImportFileError("This .xlsx file is not a valid Excel workbook (it is not a zip archive).",
                                  code="INVALID_XLSX")  # fmt: skip
        return "xlsx"
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    if is_zip:
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        return "json"
    if lower and "." in lower.rsplit("/", 1)[-1]:
        extension = lower.rsplit(".", 1)[-1]
        raise ImportFileError(f"Unsupported file type '.{extension}': upload a .csv, .xlsx or .json file.",
                              code="UNSUPPORTED_FILE_TYPE", status=415)  # fmt: skip
    return "csv"


def open_rows(stream: IO[bytes], name: str) -> RowSource:
    stream.seek(0)
    head = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ImportFileError("The file is empty.", code="EMPTY_FILE")
    fmt = detect_format(name, head)
    if fmt == "xlsx":
        return _xlsx_rows(stream)
    if fmt == "json":
        return _json_rows(stream)
    return _csv_rows(stream, head)


# CSV ------------------------------------------------------------------------------------------
def _detect_encoding(stream: IO[bytes], head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise ImportFileError("This does not look like a text file (it contains binary data).", code="NOT_TEXT")
    decoder = codecs.getincrementaldecoder("utf-8")()
    stream.seek(0)
    try:
        while chunk := stream.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        # Spreadsheets saved on Windows: cp1252 decodes every byte but five, which latin-1 takes.
        stream.seek(0)
        try:
            codecs.getincrementaldecoder("cp1252")().decode(stream.read(), final=True)
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"
    finally:
        stream.seek(0)


def _csv_rows(stream: IO[bytes], head: bytes) -> RowSource:
    encoding = _detect_encoding(stream, head)
    text = io.TextIOWrapper(io.BufferedReader(_Borrowed(stream)), encoding=encoding, newline="", errors="strict")
    sample = text.read(_SNIFF_BYTES)
    text.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(text, delimiter=delimiter, quotechar='"', doublequote=True, skipinitialspace=False)
    header: list[str] | None = None
    record = 0
    try:
        for cells in reader:
            record += 1
            if any(cell.strip() for cell in cells):
                header = [cell.strip() for cell in cells]
                break
    except csv.Error as exc:
        raise ImportFileError(f"Could not read the CSV header: {exc}", code="INVALID_CSV") from None
    if header is None:
        raise ImportFileError("The file is empty.", code="EMPTY_FILE")

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        number = record
        max_rows = settings.LEAD_IMPORT_MAX_ROWS
        try:
            for cells in reader:
                number += 1
                if not cells or not "".join(cells).strip():  # a blank line, or only separators
                    continue
                if number - record > max_rows:
                    raise ImportFileError(f"The file has more than {max_rows} rows.", code="TOO_MANY_ROWS", status=413)
                yield number, dict(zip(header, cells, strict=False))
        except csv.Error as exc:
            raise ImportFileError(f"Row {number + 1} is not valid CSV: {exc}", code="INVALID_CSV") from None

    return RowSource(format="csv", header=header, rows=rows())


# XLSX -----------------------------------------------------------------------------------------
def _check_zip(stream: IO[bytes]) -> None:
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile:
        raise ImportFileError("This .xlsx file is not a valid Excel workbook.", code="INVALID_XLSX") from None
    with archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        packed = sum(info.compress_size for info in infos) or 1
        if total > settings.LEAD_IMPORT_XLSX_MAX_UNCOMPRESSED or total / packed > settings.LEAD_IMPORT_XLSX_MAX_RATIO:
            raise ImportFileError(
                "This workbook expands to far more data than its size suggests (a zip bomb?); it was not opened.",
                code="XLSX_TOO_LARGE", status=413,
            )  # fmt: skip
        if "xl/workbook.xml" not in {info.filename for info in infos}:
            raise ImportFileError("This .xlsx file is not a valid Excel workbook.", code="INVALID_XLSX")
    stream.seek(0)


def _xlsx_rows(stream: IO[bytes]) -> RowSource:
    _check_zip(stream)
    import openpyxl  # only when a workbook arrives; it parses through defusedxml when installed

    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise ImportFileError(f"This .xlsx file could not be read: {type(exc).__name__}", code="INVALID_XLSX") from None
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    header: list[str] | None = None
    record = 0
    for cells in iterator:
        record += 1
        if any(c not in (None, "") for c in cells):
            header = ["" if c is None else str(c).strip() for c in cells]
            break
    if header is None:
        workbook.close()
        raise ImportFileError("The workbook's first sheet is empty.", code="EMPTY_FILE")

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        number = record
        max_rows = settings.LEAD_IMPORT_MAX_ROWS
        try:
            for cells in iterator:
                number += 1
                if not any(c not in (None, "") for c in cells):
                    continue
                if number - record > max_rows:
                    raise ImportFileError(f"The file has more than {max_rows} rows.", code="TOO_MANY_ROWS", status=413)
                yield number, {h: ("" if c is None else c) for h, c in zip(header, cells, strict=False) if h}
        finally:
            workbook.close()

    return RowSource(format="xlsx", header=header, rows=rows())


# JSON -----------------------------------------------------------------------------------------
def _json_rows(stream: IO[bytes]) -> RowSource:
    try:
        data = json.load(io.TextIOWrapper(io.BufferedReader(_Borrowed(stream)), encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"The file is not valid JSON: {exc}", code="INVALID_JSON") from None
    return json_rows(data)


def json_rows(data: Any) -> RowSource:
    """Rows from already-parsed JSON: a list of lead objects, or an object holding one under "leads"."""
    if isinstance(data, dict) and "leads" in data:
        data = data["leads"]
    if not isinstance(data, list):
        raise ImportFileError('JSON imports must be a list of lead objects (or {"leads": [...]}).', code="NOT_A_LIST")
    if not data:
        raise ImportFileError("The list of leads is empty.", code="EMPTY_FILE")
    header = sorted({key for item in data if isinstance(item, dict) for key in item})

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for index, item in enumerate(data, start=1):
            # JSON rows are numbered from 1 (there is no header row).
            yield index, item if isinstance(item, dict) else {"__not_an_object__": item}

    return RowSource(format="json", header=header, rows=rows())
