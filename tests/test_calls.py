"""The call-data contract (pipeline.calls): guessing, mapping, structural errors, rejected rows, streaming."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.calls import (
    CALL_COLUMNS,
    REJECTED_META,
    _SeenIds,
    iter_call_chunks,
    parse_timestamps,
    read_calls,
    resolve_columns,
)
from pipeline.errors import EmptyTable, InvalidColumnMapping, MissingColumns, RejectedCallRows, UnreadableTable

# Fake personal data planted in the bad rows of the fixtures: it must never reach an error message.
PLANTED = ("Zorglub", "Ginette", "06 39 98 47 11", "12/03/1985", "le 5 janvier")


@pytest.fixture
def calls_dir(data_dir: Path) -> Path:
    return data_dir / "calls"


def _assert_no_free_text(message: str) -> None:
    for secret in PLANTED:
        assert secret not in message


def test_crm_export_windows_1252_semicolon_and_french_names(calls_dir: Path) -> None:
    result = read_calls(calls_dir / "crm_cp1252_pointvirgule.csv")
    assert (result.encoding, result.delimiter) == ("cp1252", ";")
    assert result.columns == {
        "call_id": "ID_APPEL",
        "text": "COMMENTAIRE",
        "timestamp": "DATE_APPEL",
        "reason": "MOTIF",
        "site": "PLATEFORME",
        "channel": "CANAL",
    }
    said = "\n".join(result.guesses)
    assert "windows-1252" in said and "« ; »" in said
    assert "« COMMENTAIRE » lue comme « text »" in said
    frame = result.frame
    assert list(frame.columns) == [*CALL_COLUMNS, "reason", "AGENT"]
    assert frame.index.name == "row" and frame.index.tolist() == [1, 2, 3, 4]
    assert frame["text"].iloc[0] == "usagère appelle pr suivi dossier RSA, transmis BO"
    assert frame["channel"].iloc[0] == "téléphone"
    assert frame["AGENT"].tolist() == ["ag12", "ag07", "ag12", "ag03"]
    assert frame["timestamp"].dtype == "datetime64[ns]"
    assert frame["timestamp"].tolist() == [
        pd.Timestamp("2026-01-05 09:12:00"),
        pd.Timestamp("2026-01-05 09:40:05"),
        pd.Timestamp("2026-01-06 00:00:00"),
        pd.Timestamp("2026-01-07 14:03:00"),
    ]
    assert result.rejected.empty
    assert "4 ligne(s) lue(s), 4 valide(s)" in result.summary()


def test_telephony_export_pipe_and_offsets_become_paris_time(calls_dir: Path) -> None:
    result = read_calls(calls_dir / "telephonie_cp1252_pipe.csv")
    assert result.delimiter == "|"
    assert result.columns["call_id"] == "numero_appel"
    assert result.frame["timestamp"].tolist() == [
        pd.Timestamp("2026-01-05 09:30:00"),  # 08:30Z in winter
        pd.Timestamp("2026-01-05 10:15:00"),  # already +01:00
        pd.Timestamp("2026-07-06 10:15:00"),  # naive: taken as Paris time
    ]
    assert result.frame["duree"].tolist() == ["312", "95", "240"]


def test_explicit_encoding_delimiter_and_mapping_are_not_guessed(calls_dir: Path) -> None:
    mapping = {"call_id": "ID_APPEL", "text": "commentaire", "timestamp": "DATE_APPEL", "site": "PLATEFORME"}
    result = read_calls(calls_dir / "crm_cp1252_pointvirgule.csv", encoding="cp1252", delimiter=";", columns=mapping)
    assert result.columns["text"] == "COMMENTAIRE"  # matched without regard to case
    assert result.guesses == (
        "colonne « MOTIF » lue comme « reason » (nom reconnu)",
        "colonne « CANAL » lue comme « channel » (nom reconnu)",
    )
    assert len(result.frame) == 4


def test_mapping_names_a_column_absent_from_the_file(calls_dir: Path) -> None:
    with pytest.raises(MissingColumns) as info:
        read_calls(calls_dir / "crm_cp1252_pointvirgule.csv", columns={"text": "NOTE_LIBRE"})
    message = str(info.value)
    assert "text → « NOTE_LIBRE »" in message and "« COMMENTAIRE »" in message


@pytest.mark.parametrize(
    ("columns", "expected"),
    [({"texte": "COMMENTAIRE"}, "clé(s) inconnue(s) « texte »"), ({"text": "ID", "call_id": "ID"}, "« ID »")],
)
def test_invalid_mapping(columns: dict[str, str], expected: str) -> None:
    with pytest.raises(InvalidColumnMapping, match=re.escape(expected)):
        resolve_columns(["ID", "COMMENTAIRE"], columns)


def test_missing_columns_say_which_are_missing_and_which_exist(calls_dir: Path) -> None:
    with pytest.raises(MissingColumns) as info:
        read_calls(calls_dir / "colonnes_manquantes.csv")
    message = str(info.value)
    assert "colonne(s) manquante(s) : timestamp (" in message  # channel is optional
    assert "« ID_APPEL », « COMMENTAIRE », « AGENCE »" in message
    assert "p. ex. --time-col NOM en ligne de commande" in message  # the option the user types
    assert message.endswith("se date en entier avec --date AAAA-MM-JJ (motifs reclassify)")
    assert "\n" not in message


def test_an_undated_export_is_dated_as_a_whole_by_the_caller(calls_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "faq.json"
    path.write_text('[{"i": "q1", "q": "attestation de vigilance"}, {"i": "q2", "q": "report de cotisations"}]')
    with pytest.raises(MissingColumns, match="timestamp"):
        read_calls(path, columns={"call_id": "i", "text": "q"})
    result = read_calls(path, columns={"call_id": "i", "text": "q"}, calls_date=date(2020, 5, 4))
    assert result.frame["timestamp"].tolist() == [pd.Timestamp("2020-05-04")] * 2
    assert result.frame["call_id"].tolist() == ["q1", "q2"] and result.rejected.empty
    # a file that has dates is not overridden silently, whether the column is named or found by its usual name
    with pytest.raises(InvalidColumnMapping, match="--date et --time-col"):
        read_calls(path, columns={"call_id": "i", "text": "q", "timestamp": "i"}, calls_date=date(2020, 5, 4))
    with pytest.raises(InvalidColumnMapping, match="« DATE_APPEL » est lue comme date"):
        read_calls(calls_dir / "crm_cp1252_pointvirgule.csv", calls_date=date(2020, 5, 4))


def test_an_export_without_ids_takes_file_and_record_numbers(calls_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "questions.csv"
    path.write_text("utterance,date\nattestation de vigilance,2026-01-05\n,2026-01-05\nreport,2026-01-06\n")
    with pytest.raises(MissingColumns, match=r"call_id .*--row-ids \(FICHIER:LIGNE\)"):
        read_calls(path)
    result = read_calls(path, row_ids=True)
    assert result.frame["call_id"].tolist() == ["questions:1", "questions:3"]  # record numbers, the empty one apart
    assert result.rejected["call_id"].tolist() == ["questions:2"]
    with pytest.raises(InvalidColumnMapping, match="« ID_APPEL » est lue comme identifiant"):
        read_calls(calls_dir / "crm_cp1252_pointvirgule.csv", row_ids=True)


def test_require_reason(calls_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(MissingColumns, match="reason"):
        read_calls(calls_dir / "telephonie_cp1252_pipe.csv", require_reason=True)
    path = tmp_path / "motifs.csv"
    path.write_text(
        "call_id,text,timestamp,site,channel,motif\n"
        "a,suivi dossier,2026-01-05,lyon,telephone,dossier_etat\n"
        "b,rdv,2026-01-05,lyon,telephone,\n",
        encoding="utf-8",
    )
    assert read_calls(path).frame["reason"].tolist() == ["dossier_etat", ""]  # optional: empty reason allowed
    result = read_calls(path, require_reason=True)
    assert result.frame["call_id"].tolist() == ["a"]
    assert result.rejected[["row", "call_id", "error_code"]].values.tolist() == [[2, "b", "empty_reason"]]


def test_bad_rows_are_set_apart_with_number_id_and_reason(calls_dir: Path) -> None:
    result = read_calls(calls_dir / "lignes_invalides.csv", chunk_rows=3)
    assert result.frame["call_id"].tolist() == ["r1", "r4", "r7"]
    assert result.frame.index.tolist() == [1, 5, 9]
    rejected = result.rejected
    assert list(rejected.columns) == [*REJECTED_META, "call_id (source)", "text", "timestamp", "site", "channel"]
    assert rejected[["row", "call_id", "error_code"]].values.tolist() == [
        [2, "r2", "bad_timestamp"],
        [3, "r3", "empty_text"],
        [4, "r1", "duplicate_id"],
        [6, "r5", "bad_timestamp"],
        [7, "", "empty_id"],
        [8, "", "malformed"],
    ]
    assert "première occurrence ligne 1" in rejected["error"].iloc[2]
    assert "formats attendus" in rejected["error"].iloc[0]
    # Original values are kept for the quarantine file (the only place the text may go).
    assert "Zorglub" in rejected["text"].iloc[0]
    assert rejected["raw"].iloc[5].startswith("r6,trop,de,champs")
    assert len(result.frame) + len(result.rejected) == result.rows_read == 9
    for message in [*rejected["error"], result.summary()]:
        _assert_no_free_text(message)


def test_strict_reading_raises_one_line_listing_ids_and_rows(calls_dir: Path) -> None:
    with pytest.raises(RejectedCallRows) as info:
        read_calls(calls_dir / "lignes_invalides.csv", strict=True)
    message = str(info.value)
    assert "6 ligne(s) rejetée(s)" in message
    assert "call_id en double : « r1 » (ligne 4, déjà ligne 1)" in message
    assert "horodatage illisible : lignes 2, 6" in message
    assert "\n" not in message
    _assert_no_free_text(message)
    assert (4, "r1", "duplicate_id") in info.value.rows


def test_strict_streaming_raises_at_the_first_bad_chunk(calls_dir: Path) -> None:
    chunks = iter_call_chunks(calls_dir / "lignes_invalides.csv", strict=True, chunk_rows=1)
    iterator = iter(chunks)
    assert next(iterator).frame["call_id"].tolist() == ["r1"]
    with pytest.raises(RejectedCallRows, match="ligne 2"):
        next(iterator)
    with pytest.raises(RuntimeError):
        iter(chunks).__next__()  # one pass only


def test_undecodable_bytes_name_the_row_and_suggest_an_encoding(calls_dir: Path) -> None:
    result = read_calls(calls_dir / "octets_illisibles.csv", encoding="utf-8")
    assert result.frame["call_id"].tolist() == ["u1", "u3"]
    assert result.frame["text"].iloc[1] == "rdv annulé"
    assert result.rejected[["row", "call_id", "error_code"]].values.tolist() == [[2, "u2", "undecodable"]]
    error = result.rejected["error"].iloc[0]
    assert "« text »" in error and "--encoding cp1252" in error
    _assert_no_free_text(error)
    with pytest.raises(RejectedCallRows) as info:
        read_calls(calls_dir / "octets_illisibles.csv", encoding="utf-8", strict=True)
    assert "octets illisibles : ligne 2" in str(info.value)
    _assert_no_free_text(str(info.value))


@pytest.mark.parametrize("name", ["vide.csv", "entete_seule.csv"])
def test_empty_file_and_header_only_are_structural_errors(calls_dir: Path, name: str) -> None:
    with pytest.raises(EmptyTable):
        read_calls(calls_dir / name)
    with pytest.raises(EmptyTable):
        iter_call_chunks(calls_dir / name)  # raised before any iteration


def test_duplicate_column_names_in_header(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("call_id,text,text,timestamp,site,channel\na,b,c,2026-01-05,lyon,telephone\n", encoding="utf-8")
    with pytest.raises(UnreadableTable, match="en double"):
        read_calls(path)


def test_extra_column_clashing_with_a_contract_name_is_renamed(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "id_appel,text,commentaire,date_appel,site,canal\n1,court,note longue,2026-01-05 10:00,lyon,telephone\n",
        encoding="utf-8",
    )
    result = read_calls(path, columns={"text": "commentaire"})
    assert result.frame["text"].tolist() == ["note longue"]
    assert result.frame["text_source"].tolist() == ["court"]
    assert any("text_source" in guess for guess in result.guesses)


def test_jsonl(calls_dir: Path) -> None:
    result = read_calls(calls_dir / "appels.jsonl")
    assert result.frame["call_id"].tolist() == ["j1", "j2"]
    assert result.frame["reason"].tolist() == ["dossier_etat", "attestation"]
    assert result.rejected[["row", "call_id", "error_code"]].values.tolist() == [[3, "j3", "empty_text"]]


def test_parquet_reads_like_csv(calls_dir: Path, tmp_path: Path) -> None:
    from_csv = read_calls(calls_dir / "contrat.csv")
    source = pd.read_csv(calls_dir / "contrat.csv", dtype=str)
    source["timestamp"] = pd.to_datetime(source["timestamp"])  # a real timestamp type in Parquet
    source["duree"] = source["duree"].astype(int)
    source.to_parquet(tmp_path / "contrat.parquet", index=False)
    from_parquet = read_calls(tmp_path / "contrat.parquet")
    pd.testing.assert_frame_equal(from_parquet.frame, from_csv.frame)
    assert from_parquet.guesses == ()


def _big_export(path: Path, rows: int) -> None:
    rng = np.random.default_rng(3)
    ids = [f"id{i}" for i in range(rows)]
    for i in rng.choice(np.arange(10, rows), size=rows // 20, replace=False):
        ids[i] = ids[int(rng.integers(0, i))]  # duplicates, many across chunks
    stamps = ["2026-01-05T09:00:00", "05/01/2026 10:30", "pas une date", "2026-02-30"]
    texts = ["suivi dossier", "", "M. Zorglub 06 39 98 47 11"]
    frame = pd.DataFrame(
        {
            "call_id": ids,
            "text": [texts[i % 3] if i % 17 == 0 else f"note {i}" for i in range(rows)],
            "timestamp": [stamps[i % 4] if i % 13 == 0 else stamps[0] for i in range(rows)],
            "site": "lyon",
            "channel": "telephone",
        }
    )
    frame.to_csv(path, index=False)


def test_streaming_gives_the_same_result_as_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "gros.csv"
    _big_export(path, 2_000)
    whole = read_calls(path, chunk_rows=100_000)
    chunks = iter_call_chunks(path, chunk_rows=37)
    parts = list(chunks)
    streamed = pd.concat([p.frame for p in parts])
    streamed_rejected = pd.concat([p.rejected for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(streamed, whole.frame)
    pd.testing.assert_frame_equal(streamed_rejected, whole.rejected)
    assert chunks.rows_read == whole.rows_read == 2_000
    assert chunks.rows_valid + chunks.rows_rejected == 2_000
    assert whole.frame["call_id"].is_unique
    assert {"duplicate_id", "bad_timestamp", "empty_text"} <= set(whole.error_counts())


def test_seen_ids_across_many_runs() -> None:
    seen = _SeenIds()
    all_hashes = np.arange(1, 5_001, dtype=np.uint64) * np.uint64(2654435761)
    for start in range(0, 5_000, 97):
        block = all_hashes[start : start + 97]
        assert not seen.lookup(block).any()
        seen.add(block, np.arange(start + 1, start + 1 + len(block)))
    assert seen.count == 5_000
    assert len(seen._runs) <= 13  # merged as it grows
    probe = all_hashes[[0, 1234, 4999]]
    assert seen.lookup(probe).tolist() == [1, 1235, 5000]
    assert seen.lookup(np.array([7], dtype=np.uint64)).tolist() == [0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-05", "2026-01-05 00:00:00"),
        ("2026-01-05T09:30", "2026-01-05 09:30:00"),
        ("2026-01-05 09:30:12", "2026-01-05 09:30:12"),
        ("2026-01-05T08:30:00Z", "2026-01-05 09:30:00"),
        ("2026-06-05T08:30:00+00:00", "2026-06-05 10:30:00"),
        ("05/01/2026", "2026-01-05 00:00:00"),
        ("5/1/2026 9:05", "2026-01-05 09:05:00"),
        ("05/01/2026 09:05:07", "2026-01-05 09:05:07"),
        (" 05/01/2026 09h05 ", "2026-01-05 09:05:00"),
    ],
)
def test_parse_timestamps(value: str, expected: str) -> None:
    assert parse_timestamps(pd.Series([value])).iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize("value", ["", "31/02/2026", "2026-13-01", "lundi", "12/2026", "05/01/26"])
def test_parse_timestamps_rejects(value: str) -> None:
    assert pd.isna(parse_timestamps(pd.Series([value])).iloc[0])


@given(st.lists(st.text(max_size=30), max_size=20))
def test_parse_timestamps_never_crashes(values: list[str]) -> None:
    parsed = parse_timestamps(pd.Series(values, dtype=object))
    assert len(parsed) == len(values) and parsed.dtype == "datetime64[ns]"


def test_parse_timestamps_mixed_columns() -> None:
    mixed = pd.Series(["2026-01-05T08:30:00Z", "05/01/2026 09:00", "2026-01-05 10:00", "pas une date", ""])
    assert parse_timestamps(mixed).tolist()[:3] == [
        pd.Timestamp("2026-01-05 09:30"),
        pd.Timestamp("2026-01-05 09:00"),
        pd.Timestamp("2026-01-05 10:00"),
    ]
    assert parse_timestamps(mixed).isna().tolist() == [False, False, False, True, True]
    naive = pd.Series(["2026-01-05 10:00", "06/01/2026", "31/02/2026"], index=[7, 8, 9])
    parsed = parse_timestamps(naive)
    assert parsed.index.tolist() == [7, 8, 9]
    assert parsed.tolist()[:2] == [pd.Timestamp("2026-01-05 10:00"), pd.Timestamp("2026-01-06")]
    assert pd.isna(parsed.iloc[2])


def test_site_and_channel_are_optional(tmp_path: Path) -> None:
    path = tmp_path / "sans_site.csv"
    path.write_text("id|date|question\n1|05/07/2022|Première question\n2|12/07/2022|Seconde\n", encoding="cp1252")
    read = read_calls(path, columns={"text": "question"})
    assert read.frame["site"].tolist() == ["", ""] and read.frame["channel"].tolist() == ["", ""]
    assert read.frame["timestamp"].dt.day.tolist() == [5, 12]
