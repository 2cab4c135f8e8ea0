"""The monitoring input contract: checks, types, periods."""

from __future__ import annotations

import pandas as pd
import pytest

from serving.monitoring import InvalidCallsFrame, prepare_calls

BASE = {
    "call_id": ["a", "b"],
    "timestamp": ["2024-03-05T10:00:00", "2024-03-04 09:00"],
    "code": ["paiement_non_recu", "autre"],
    "confidence": [0.9, 0.2],
}


def test_rows_are_sorted_typed_and_get_periods() -> None:
    frame = prepare_calls(pd.DataFrame(BASE | {"autre": ["non", "oui"], "text": ["x", None]}))
    assert frame["call_id"].tolist() == ["b", "a"]
    assert frame["autre"].tolist() == [True, False]
    assert frame["period"].tolist() == ["2024-W10", "2024-W10"]
    assert frame["site"].tolist() == ["non renseigné"] * 2
    assert frame["text"].tolist() == ["", "x"]


def test_autre_defaults_to_the_autre_code() -> None:
    frame = prepare_calls(pd.DataFrame(BASE))
    assert frame.set_index("call_id")["autre"].to_dict() == {"a": False, "b": True}


@pytest.mark.parametrize(
    ("granularity", "timestamp", "label"),
    [
        ("day", "2024-03-05 23:59", "2024-03-05"),
        ("week", "2024-12-31 10:00", "2025-W01"),  # ISO week of a Monday in the previous year
        ("week", "2024-03-10 23:00", "2024-W10"),  # Sunday closes the week
        ("month", "2024-02-29 12:00", "2024-02"),
    ],
)
def test_period_labels(granularity: str, timestamp: str, label: str) -> None:
    frame = prepare_calls(
        pd.DataFrame({"call_id": ["x"], "timestamp": [timestamp], "code": ["a"], "confidence": [0.5]}),
        granularity=granularity,  # type: ignore[arg-type]
    )
    assert frame["period"].item() == label


def test_offsets_are_converted_to_paris_time() -> None:
    frame = prepare_calls(
        pd.DataFrame({"call_id": ["x"], "timestamp": ["2024-03-10T23:30:00Z"], "code": ["a"], "confidence": [0.5]})
    )
    assert frame["timestamp"].item() == pd.Timestamp("2024-03-11 00:30")  # UTC+1 in winter: next ISO week
    assert frame["period"].item() == "2024-W11"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"confidence": [0.9, 1.5]}, "confidence hors de [0, 1] ou illisible aux lignes 2"),
        ({"call_id": ["a", "a"]}, "call_id en double aux lignes 1, 2"),
        ({"timestamp": ["hier", "2024-03-04"]}, "timestamp illisible aux lignes 1"),
        ({"autre": ["peut-être", "non"]}, "colonne « autre » : valeur non booléenne aux lignes 1"),
    ],
)
def test_bad_values_are_reported_by_row_number(change: dict[str, list[object]], expected: str) -> None:
    with pytest.raises(InvalidCallsFrame, match=expected.replace("[", r"\[").replace("]", r"\]")):
        prepare_calls(pd.DataFrame(BASE | change))


def test_missing_columns_are_named_and_free_text_never_echoed() -> None:
    secret = "Mme Dupont 06 12 34 56 78"
    with pytest.raises(InvalidCallsFrame) as caught:
        prepare_calls(pd.DataFrame({"call_id": ["a"], "text": [secret]}), require_text=True)
    assert "timestamp, code, confidence" in str(caught.value)
    assert secret not in str(caught.value)


def test_outcome_columns_from_decision_and_agent_choice() -> None:
    frame = prepare_calls(
        pd.DataFrame(
            {
                "call_id": ["a", "b", "c", "d"],
                "timestamp": ["2024-03-04 09:00"] * 4,
                "code": ["autre", "attestation", "attestation", "attestation"],
                "confidence": [0.2, 0.4, 0.95, 0.5],
                "decision": ["autre", "to_confirm", "confident", ""],  # empty: derived (not « autre »: confident)
                "agent_code": [None, "", "autre", "attestation"],
            }
        )
    ).set_index("call_id")
    assert frame["decision"].to_dict() == {"a": "autre", "b": "to_confirm", "c": "confident", "d": "confident"}
    assert frame["novelty_autre"].to_dict() == {"a": True, "b": False, "c": False, "d": False}
    assert frame["agent_autre"].to_dict() == {"a": False, "b": False, "c": True, "d": False}
    assert frame["autre"].to_dict() == {"a": True, "b": False, "c": True, "d": False}  # never the to_confirm one
    assert frame["to_confirm"].to_dict() == {"a": False, "b": True, "c": False, "d": False}


def test_without_decision_the_old_autre_flag_decides() -> None:
    frame = prepare_calls(pd.DataFrame(BASE | {"autre": ["oui", "oui"]})).set_index("call_id")
    assert frame["decision"].to_dict() == {"a": "autre", "b": "autre"}
    assert not frame["to_confirm"].any() and not frame["agent_autre"].any()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"decision": ["doute", "autre"]}, "valeur inconnue aux lignes 1"),
        ({"decision": ["to_confirm", "to_confirm"]}, "incohérentes aux lignes 2"),  # code « autre », not autre
        ({"decision": ["autre", "autre"], "autre": [False, True]}, "incohérentes aux lignes 1"),
    ],
)
def test_decision_that_contradicts_autre_is_refused(extra: dict[str, list[object]], message: str) -> None:
    with pytest.raises(InvalidCallsFrame, match=message):
        prepare_calls(pd.DataFrame(BASE | extra))
