"""figures.xlsx: the figures table as a spreadsheet that opens as it should in Excel.

figures.csv is UTF-8 without a byte-order mark (what CSV on the Web and most tools expect), which
Excel on Japanese Windows reads as Shift_JIS: mojibake. An Office Open XML workbook has no such
question, and its numbers are numbers (yen with thousands separators), not text.

Written with the standard library (zipfile and a few XML parts, ECMA-376's minimal package:
content types, relationships, workbook, one worksheet, styles) rather than a dependency: about
a hundred lines, and byte-reproducible (fixed entry times and order), as every build output is.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape

from zaisei.rdf.formats import file_media_type

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET = "figures"
# Styles (cellXfs indexes): 0 as is, 1 the header (bold), 2 whole yen with thousands separators.
HEADER, YEN = 1, 2
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PARTS = {
    "[Content_Types].xml":
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="{file_media_type("part.xml")}"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
    "_rels/.rels":
        f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}"><Relationship Id="rId1" '
        f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/_rels/workbook.xml.rels":
        f'<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/></Relationships>',
    "xl/styles.xml":
        f'<styleSheet xmlns="{MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
}


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(reference: str, value: str, kind: str | None, style: int = 0) -> str:
    """One cell: a number, a boolean or a text (inline, so no shared-strings part is needed)."""
    styled = f' s="{style}"' if style else ""
    if value == "":
        return ""
    if kind in ("decimal", "integer"):
        return f'<c r="{reference}"{styled}><v>{value}</v></c>'
    if kind == "boolean":
        return f'<c r="{reference}" t="b"{styled}><v>{1 if value == "true" else 0}</v></c>'
    text = escape(_NOT_XML.sub("", value))
    return f'<c r="{reference}" t="inlineStr"{styled}><is><t xml:space="preserve">{text}</t></is></c>'


def _worksheet(columns: list[tuple[str, str | None, int]], rows: list[dict[str, str]]) -> str:
    """columns: (name, kind, width in characters); the header row frozen and filterable."""
    last = f"{column_letter(len(columns) - 1)}{len(rows) + 1}"
    widths = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>'
                     for i, (_, _, w) in enumerate(columns))
    header = "".join(_cell(f"{column_letter(i)}1", name, None, HEADER) for i, (name, _, _) in enumerate(columns))
    body = [f'<row r="1">{header}</row>']
    for number, row in enumerate(rows, start=2):
        cells = "".join(_cell(f"{column_letter(i)}{number}", row[name], kind, YEN if name.endswith("_yen") else 0)
                        for i, (name, kind, _) in enumerate(columns))
        body.append(f'<row r="{number}">{cells}</row>')
    return (f'<worksheet xmlns="{MAIN}"><dimension ref="A1:{last}"/><sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            f'<cols>{widths}</cols><sheetData>{"".join(body)}</sheetData><autoFilter ref="A1:{last}"/></worksheet>')


def _workbook(columns: int, rows: int) -> str:
    area = f"{SHEET}!$A$1:${column_letter(columns - 1)}${rows + 1}"
    return (f'<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>'
            f'<sheet name="{SHEET}" sheetId="1" r:id="rId1"/></sheets><definedNames>'
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">{area}</definedName>'
            '</definedNames></workbook>')


def workbook(columns: list[tuple[str, str | None, int]], rows: list[dict[str, str]]) -> bytes:
    """The .xlsx bytes: the same for the same rows, whenever and wherever it is written."""
    parts = dict(_PARTS)
    parts["xl/workbook.xml"] = _workbook(len(columns), len(rows))
    parts["xl/worksheets/sheet1.xml"] = _worksheet(columns, rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                     "xl/styles.xml", "xl/worksheets/sheet1.xml"):
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type, entry.create_system, entry.external_attr = zipfile.ZIP_DEFLATED, 0, 0o644 << 16
            data = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + parts[name]
            package.writestr(entry, data.encode("utf-8"), compresslevel=9)
    return buffer.getvalue()
