"""Chunked reading/writing of CSV, Parquet and JSON Lines exports (pipeline.tables)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import EmptyTable, UnreadableTable, UnsupportedFormat
from pipeline.tables import ROW_COLUMN, TableWriter, inspect_table, iter_table, read_header, undecodable


def _read_all(path: Path, **kwargs: str) -> tuple[pd.DataFrame, list]:
    spec = inspect_table(path, **kwargs)
    chunks = list(iter_table(spec, chunk_rows=2))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    return frame, [m for c in chunks for m in c.malformed]


def test_guesses_windows_1252_and_semicolon(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("id;note\n1;échéance réglée\n2;reçu l'attestation\n3;à rappeler\n".encode("cp1252"))
    spec = inspect_table(path)
    assert (spec.encoding, spec.delimiter) == ("cp1252", ";")
    assert len(spec.guesses) == 2
    frame, malformed = _read_all(path)
    assert frame["note"].tolist() == ["échéance réglée", "reçu l'attestation", "à rappeler"]
    assert frame[ROW_COLUMN].tolist() == [1, 2, 3]
    assert malformed == []


def test_pipe_delimiter_and_quoted_multiline_field(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('id|note\n1|"ligne un\nligne deux"\n2|simple\n', encoding="utf-8")
    frame, _ = _read_all(path)
    assert frame["note"].tolist() == ["ligne un\nligne deux", "simple"]


def test_undecodable_row_is_flagged_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"id,note\n1,ok\n2,caf\xe9\n3,ok aussi\n")
    frame, _ = _read_all(path, encoding="utf-8")
    assert undecodable(frame["note"]).tolist() == [False, True, False]
    assert frame["id"].tolist() == ["1", "2", "3"]


def test_malformed_row_is_kept_apart_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,note\n1,ok\n2,trop,de,champs\n3,ok\n", encoding="utf-8")
    frame, malformed = _read_all(path)
    assert frame["id"].tolist() == ["1", "3"]
    assert [(m.row, m.line) for m in malformed] == [(2, 3)]
    assert "4 champs au lieu de 2" in malformed[0].error


@pytest.mark.parametrize("content", [b"", b"\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "vide.csv"
    path.write_bytes(content)
    with pytest.raises(EmptyTable):
        read_header(inspect_table(path))


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(UnreadableTable, match="introuvable"):
        inspect_table(tmp_path / "absent.csv")
    (tmp_path / "x.xlsx").write_bytes(b"x")
    with pytest.raises(UnsupportedFormat, match=r"\.xlsx"):
        inspect_table(tmp_path / "x.xlsx")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_writer_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    first = pd.DataFrame({"call_id": ["a", "b"], "text": ["un", "deux ; « trois »"]})
    second = pd.DataFrame({"call_id": ["c"], "text": ["quatre"]})
    with TableWriter(path) as writer:
        writer.write(first)
        writer.write(second)
    frame, _ = _read_all(path)
    assert frame["call_id"].tolist() == ["a", "b", "c"]
    assert frame["text"].tolist() == ["un", "deux ; « trois »", "quatre"]


def test_writer_appends_csv_without_second_header(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with TableWriter(path) as writer:
        writer.write(pd.DataFrame({"call_id": ["a"]}))
    with TableWriter(path, append=True) as writer:
        writer.write(pd.DataFrame({"call_id": ["b"]}))
    assert path.read_text(encoding="utf-8").splitlines() == ["call_id", "a", "b"]


def test_writer_jsonl_dates_are_iso(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with TableWriter(path) as writer:
        writer.write(pd.DataFrame({"timestamp": pd.to_datetime(["2026-01-05 09:14:32"])}))
    assert path.read_text(encoding="utf-8").strip() == '{"timestamp":"2026-01-05T09:14:32.000"}'


_ACCENTED_NOTES = (
    "échéance réglée à la caisse",
    "reçu l'attestation de paiement déjà transmise",
    "rappel prévu après vérification du dossier",
    "bénéficiaire très inquiet : prélèvement refusé",
)


def test_one_bad_byte_in_an_utf8_file_keeps_utf8_and_flags_only_its_row(tmp_path: Path) -> None:
    rows = [f"{i},{_ACCENTED_NOTES[i % len(_ACCENTED_NOTES)]}".encode() for i in range(1, 41)]
    rows[16] = b"17,caf\xe9 ferm\xe9"  # one row typed in Windows-1252 inside an UTF-8 export
    path = tmp_path / "export.csv"
    path.write_bytes(b"id,note\n" + b"\n".join(rows) + b"\n")
    spec = inspect_table(path)
    assert spec.encoding == "utf-8"
    assert any("UTF-8" in guess and "2 octet(s) illisible(s)" in guess for guess in spec.guesses)
    frame, _ = _read_all(path)
    flagged = undecodable(frame["note"])
    assert frame.loc[flagged, "id"].tolist() == ["17"]
    assert frame.loc[~flagged, "note"].tolist()[:4] == [*_ACCENTED_NOTES[1:], _ACCENTED_NOTES[0]]


def test_windows_1252_file_with_many_accents_and_a_few_utf8_lookalikes(tmp_path: Path) -> None:
    # « Ã© » written in Windows-1252 is the UTF-8 encoding of « é »: a few such pairs must not outweigh the accents.
    notes = [*_ACCENTED_NOTES, "libellé « Ã© » recopié tel quel", "€ 120 versés reçu n°12 — à suivre"]
    text = "id;note\n" + "".join(f"{i};{note}\n" for i, note in enumerate(notes * 10, start=1))
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))
    spec = inspect_table(path)
    assert spec.encoding == "cp1252"
    frame, _ = _read_all(path)
    assert frame["note"].tolist() == notes * 10
    assert not undecodable(frame["note"]).any()


def test_utf8_character_cut_by_the_end_of_the_sample_is_no_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.tables as tables

    content = ("id,note\n" + "1,réglé\n" * 20).encode()
    monkeypatch.setattr(tables, "_SAMPLE_BYTES", content.index("é".encode()) + 1)  # the sample ends inside « é »
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    assert inspect_table(path).encoding == "utf-8"


def test_json_array_export_is_read_like_json_lines(tmp_path: Path) -> None:
    """A web tool's `.json` export (an array of objects, UTF-8 with BOM) reads record by record; a non-object item is
    set apart with its number, numbers and nulls become strings like everywhere else."""
    path = tmp_path / "faq.json"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + '[{"q": "Où porter un masque ?", "s": "Gouvernement", "n": 3}, 7, '.encode()
        + '{"q": "Prêt ?", "s": null, "n": null}]'.encode()
    )
    assert read_header(inspect_table(path)) == ["q", "s", "n"]
    frame, malformed = _read_all(path)
    assert frame["q"].tolist() == ["Où porter un masque ?", "Prêt ?"]
    assert frame["s"].tolist() == ["Gouvernement", ""] and frame["n"].tolist() == ["3", ""]
    assert frame[ROW_COLUMN].tolist() == [1, 3]
    assert [(m.row, m.error) for m in malformed] == [(2, "élément JSON invalide (objet attendu)")]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_json_records_with_different_keys_give_the_union_as_header(tmp_path: Path, suffix: str) -> None:
    """Exporters leave out empty fields: a key missing from the first record is still a column."""
    records = ['{"id": "a", "note": "x"}', '{"id": "b", "note": "y", "date": "2026-01-05"}']
    path = tmp_path / f"export{suffix}"
    path.write_text(f"[{', '.join(records)}]" if suffix == ".json" else "\n".join(records), encoding="utf-8")
    assert read_header(inspect_table(path)) == ["id", "note", "date"]


def test_json_object_wrapping_its_records_and_json_lines_named_json(tmp_path: Path) -> None:
    wrapped = tmp_path / "export.json"
    wrapped.write_text('{"total": 2, "data": [{"note": "a"}, {"note": "b"}]}', encoding="utf-8")
    assert _read_all(wrapped)[0]["note"].tolist() == ["a", "b"]
    lines = tmp_path / "lignes.json"
    lines.write_text('{"note": "a"}\n{"note": "b"}\n', encoding="utf-8")
    assert _read_all(lines)[0]["note"].tolist() == ["a", "b"]


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        ('[{"note": "Mme Zorglub"}, ', UnreadableTable, r"JSON illisible \(ligne 1, colonne"),
        ("[]", EmptyTable, "tableau JSON vide"),
        ('{"a": [{"x": 1}], "b": [{"y": 2}]}', UnreadableTable, "2 tableaux d'objets"),
        ('"Mme Zorglub"', UnreadableTable, "JSON sans enregistrements"),
    ],
)
def test_json_that_holds_no_records_is_one_clear_error_without_its_text(
    tmp_path: Path, content: str, error: type[Exception], message: str
) -> None:
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(error, match=message) as raised:
        _read_all(path)
    assert "Zorglub" not in str(raised.value)


def test_json_is_read_not_written(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormat, match=r"écriture en \.json non prise en charge.*\.jsonl"):
        TableWriter(tmp_path / "sortie.json")
