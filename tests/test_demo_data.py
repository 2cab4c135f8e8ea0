"""The demo corpus generator (training.demo) and `motifs demo-data`."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import phonenumbers
import pytest
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.fr import nir as std_nir
from typer.testing import CliRunner

from motifs.cli.main import build_app, main
from pipeline.calls import read_calls
from training.demo import DEMO_COLUMNS, PII_TYPES, SCENARIOS, DemoGenerator, DemoSettings, generate_demo_calls
from training.demo import pii as fake
from training.demo.bank import FAMILIES, SLOT, all_phrases, params, raw_reason_banks, raw_scenario_banks
from training.demo.french import number_words
from training.demo.noise import strip_accents
from training.demo.schedule import easter, french_holidays
from training.errors import InvalidDemoSettings

ROOT = Path(__file__).resolve().parent.parent
ROWS = 4_000


def architecture_codes() -> set[str]:
    """The v1.0.0 codes listed in docs/ARCHITECTURE.md (the contract with the taxonomy package)."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("v1.0.0 codes", 1)[1].split("v1.1.0", 1)[0]
    return set(re.findall(r"^\|[^|]*\| `([a-z_]+)` \|", section, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return pd.concat(list(generate_demo_calls(DemoSettings(rows=ROWS, seed=7, chunk_rows=500))), ignore_index=True)


def test_architecture_lists_the_taxonomy() -> None:
    codes = architecture_codes()
    assert len(codes) == 29 and "autre" in codes and "numerique_connexion" in codes


# --- contract and determinism --------------------------------------------------------------------------------


def test_columns_and_types(corpus: pd.DataFrame) -> None:
    assert tuple(corpus.columns) == DEMO_COLUMNS
    assert len(corpus) == ROWS
    assert corpus["call_id"].is_unique
    assert corpus["timestamp"].is_monotonic_increasing
    assert corpus["text"].str.strip().ne("").all()
    assert corpus["timestamp"].min() >= pd.Timestamp("2026-01-05")
    assert corpus["timestamp"].max() < pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=16)
    assert set(corpus["week"]) <= set(range(1, 17))
    assert (corpus["week"] == (corpus["timestamp"] - pd.Timestamp("2026-01-05")).dt.days // 7 + 1).all()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, suffix: str) -> None:
    app = build_app()
    paths = {name: tmp_path / f"{name}{suffix}" for name in ("a", "b", "c")}
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        result = CliRunner().invoke(app, ["demo-data", "--rows", "600", "--seed", str(seed), "--out", str(paths[name])])
        assert result.exit_code == 0, result.output
    assert paths["a"].read_bytes() == paths["b"].read_bytes()
    assert paths["a"].read_bytes() != paths["c"].read_bytes()


def test_same_bytes_in_another_process_with_another_hash_seed(tmp_path: Path) -> None:
    here = tmp_path / "here.csv"
    CliRunner().invoke(build_app(), ["demo-data", "--rows", "400", "--seed", "9", "--out", str(here)])
    there = tmp_path / "there.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "12345"}
    command = [sys.executable, "-m", "motifs", "demo-data", "--rows", "400", "--seed", "9", "--out", str(there)]
    subprocess.run(command, check=True, env=env, capture_output=True, cwd=tmp_path)
    assert here.read_bytes() == there.read_bytes()


def test_chunking_does_not_change_the_result() -> None:
    settings = dict(rows=900, seed=11)
    small = pd.concat(list(generate_demo_calls(DemoSettings(**settings, chunk_rows=50))), ignore_index=True)
    big = pd.concat(list(generate_demo_calls(DemoSettings(**settings, chunk_rows=10_000))), ignore_index=True)
    pd.testing.assert_frame_equal(small, big)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_output_is_read_by_the_call_contract_without_rejection(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"demo{suffix}"
    CliRunner().invoke(build_app(), ["demo-data", "--rows", "700", "--seed", "2", "--out", str(out)])
    calls = read_calls(out, require_reason=True, strict=True)
    assert len(calls.frame) == 700 and calls.rejected.empty
    assert calls.guesses == ()  # our own column names: nothing to guess
    assert list(calls.frame.columns) == list(DEMO_COLUMNS)


def test_small_runs_and_bad_settings(tmp_path: Path) -> None:
    one = pd.concat(list(generate_demo_calls(DemoSettings(rows=1, seed=0))))
    assert len(one) == 1
    short = pd.concat(list(generate_demo_calls(DemoSettings(rows=300, seed=0, weeks=4, start=dt.date(2026, 3, 2)))))
    assert set(short["week"]) <= {1, 2, 3, 4} and len(short) == 300
    for bad in (DemoSettings(rows=0), DemoSettings(rows=10, weeks=2), DemoSettings(rows=10, seed=-1)):
        with pytest.raises(InvalidDemoSettings):
            DemoGenerator(bad)


def test_cli_errors_are_one_french_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    for args in (["--out", str(tmp_path / "x.xlsx")], ["--start", "05/01/2026"], ["--rows", "0"]):
        monkeypatch.setattr(sys, "argv", ["motifs", "demo-data", "--rows", "10", *args])
        with pytest.raises(SystemExit) as info:
            main()
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("Erreur :") and "Traceback" not in err


# --- labels, proportions, calendar ---------------------------------------------------------------------------


def test_codes_are_the_taxonomy_v1_codes(corpus: pd.DataFrame) -> None:
    codes = architecture_codes()
    ordinary = set(params()["reasons"])
    assert ordinary == codes - {"autre"}  # every reason has a volume, none is invented
    assert set(raw_reason_banks()) == codes - {"autre"}
    assert set(params()["confusions"]) <= ordinary
    assert {n for ns in params()["confusions"].values() for n in ns} <= ordinary
    assert set(params()["scenarios"]["emergent_reforme"]["filed_as"]) <= codes
    assert set(corpus["reason"]) == codes  # all reasons covered, autre included
    assert set(corpus["true_reason"]) - {""} <= codes


def test_codes_are_in_the_shipped_taxonomy(corpus: pd.DataFrame) -> None:
    try:
        from taxonomy import load_taxonomy  # type: ignore[attr-defined]
    except ImportError:
        pytest.skip("taxonomy.load_taxonomy is not available yet")
    shipped = set(load_taxonomy("1.0.0").codes)
    assert set(corpus["reason"]) <= shipped
    assert set(params()["reasons"]) <= shipped


def test_proportions(corpus: pd.DataFrame) -> None:
    share = corpus["scenario"].value_counts(normalize=True)
    assert 0.03 < share["autre_vrai"] < 0.05
    assert 0.10 < (corpus["text_kind"] == "transcription").mean() < 0.20
    assert corpus.loc[corpus["text_kind"] == "transcription", "channel"].isin(["telephone", "rappel"]).all()
    assert 0.70 < (corpus["channel"] == "telephone").mean() < 0.85
    assert corpus["site"].nunique() == 5
    assert corpus["channel"].nunique() == 5
    reasons = corpus.loc[corpus["scenario"] == "normal", "true_reason"].value_counts()
    assert reasons.index[0] in ("dossier_etat", "paiement_non_recu")  # imbalance: the frequent ones first
    assert reasons["dossier_etat"] > 10 * reasons["urgence_detresse"]
    noisy = corpus[(corpus["scenario"] == "normal") & (corpus["reason"] != corpus["true_reason"])]
    assert 0.01 < len(noisy) / (corpus["scenario"] == "normal").sum() < 0.06  # agents' filing mistakes
    words = corpus["text"].str.split().str.len()
    notes, transcripts = words[corpus["text_kind"] == "note"], words[corpus["text_kind"] == "transcription"]
    assert 25 <= notes.mean() <= 60 and notes.min() <= 6
    assert 100 <= transcripts.mean() <= 170 and transcripts.min() >= 60 and transcripts.quantile(0.99) <= 200


def test_calendar(corpus: pd.DataFrame) -> None:
    day = corpus["timestamp"].dt.dayofweek
    per_weekday = corpus.groupby(day).size()
    assert per_weekday.idxmax() == 0  # Monday peak
    weekend = corpus[day >= 5]
    assert set(weekend["channel"]) <= {"courriel", "chat"}
    hours = corpus.loc[corpus["channel"] == "telephone", "timestamp"].dt.hour
    assert hours.between(8, 16).all()
    easter_monday = pd.Timestamp(easter(2026) + dt.timedelta(days=1))
    assert not (corpus.loc[corpus["timestamp"].dt.normalize() == easter_monday, "channel"] == "telephone").any()
    assert dt.date(2026, 4, 6) in french_holidays(2026) and easter(2024) == dt.date(2024, 3, 31)


def test_scenarios_timing(corpus: pd.DataFrame) -> None:
    weekly = pd.crosstab(corpus["week"], corpus["scenario"], normalize="index")
    counts = pd.crosstab(corpus["week"], corpus["scenario"])
    emergent = weekly["emergent_reforme"]
    assert emergent[emergent > 0].index.min() >= 9
    assert counts.loc[9:, "emergent_reforme"].sum() > 0
    assert emergent.loc[15:16].mean() > 0.05 > emergent.loc[9:10].mean()
    assert corpus.loc[corpus["scenario"] == "emergent_reforme", "true_reason"].eq("").all()
    assert corpus.loc[corpus["scenario"] == "emergent_reforme", "reason"].value_counts().index[0] == "autre"
    assert set(counts.index[counts["pic_connexion"] > 0]) == {12}
    connexion = corpus[corpus["reason"] == "numerique_connexion"].groupby("week").size()
    assert connexion[12] > 2.5 * (connexion[11] + connexion[13]) / 2
    subtheme = counts["sous_theme_attestation"]
    assert subtheme[subtheme > 0].index.min() == 10 and subtheme.loc[10:].sum() > 20
    assert corpus.loc[corpus["scenario"] == "sous_theme_attestation", "reason"].eq("attestation").all()
    assert corpus.loc[corpus["scenario"] == "autre_vrai", "reason"].eq("autre").all()
    assert set(SCENARIOS) | {"normal"} == set(corpus["scenario"])


def test_scenario_weeks_follow_a_shorter_period() -> None:
    frame = pd.concat(list(generate_demo_calls(DemoSettings(rows=2_000, seed=1, weeks=8))))
    assert set(frame.loc[frame["scenario"] == "pic_connexion", "week"]) == {6}
    assert frame.loc[frame["scenario"] == "emergent_reforme", "week"].min() >= 4  # 9 × 8/16 rounded
    assert set(frame.loc[frame["template_family"] == "B", "week"]) == {6, 7, 8}


# --- template hold-out ---------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return strip_accents(text.lower())


def test_template_families_split_the_period(corpus: pd.DataFrame) -> None:
    assert set(corpus.loc[corpus["week"] <= 10, "template_family"]) == {"A"}
    assert set(corpus.loc[corpus["week"] >= 11, "template_family"]) == {"B"}


def test_template_families_are_disjoint() -> None:
    for key, families in {**raw_reason_banks(), **raw_scenario_banks()}.items():
        assert set(families) == set(FAMILIES), key
        for part in ("notes", "spoken", "details"):
            a, b = set(families["A"][part]), set(families["B"][part])
            assert a and b and not a & b, f"{key}.{part}"


def test_test_slice_never_uses_train_phrasings(corpus: pd.DataFrame) -> None:
    """A core phrasing of family A (without slots) never appears in a family B text, and vice versa."""
    banks = {**raw_reason_banks(), **raw_scenario_banks()}
    seen = {"A": 0, "B": 0}
    for family, other in (("A", "B"), ("B", "A")):
        texts = corpus.loc[corpus["template_family"] == family, "text"].map(_fold)
        own = {_fold(p) for f in banks.values() for p in f[family]["notes"] if "{" not in p}
        foreign = {_fold(p) for f in banks.values() for p in f[other]["notes"] if "{" not in p}
        joined = "\n".join(texts)
        seen[family] = sum(phrase in joined for phrase in own)
        assert [phrase for phrase in foreign if phrase in joined] == []
    assert seen["A"] > 50 and seen["B"] > 50  # the check would see them if they were there


def test_every_slot_has_a_filler() -> None:
    used = {m for phrase in all_phrases() for m in SLOT.findall(phrase)}
    known = DemoGenerator(DemoSettings(rows=10)).composer.slot_names
    assert used <= known and "nom" in used


# --- fake personal data --------------------------------------------------------------------------------------


def test_every_kind_of_personal_data_is_planted(corpus: pd.DataFrame) -> None:
    planted = corpus["pii_types"].str.split(";").explode()
    assert set(planted) - {""} == set(PII_TYPES)
    assert 0.35 < (corpus["pii_types"] != "").mean() < 0.65


def test_planted_values_are_in_the_text_and_valid(corpus: pd.DataFrame) -> None:
    notes = corpus[corpus["text_kind"] == "note"]
    with_iban = notes[notes["pii_types"].str.contains("iban")]
    ibans = with_iban["text"].str.extract(r"(FR\d{2}(?:[ \u00a0]?[0-9A-Z]{4}){5}[ \u00a0]?[0-9A-Z]{3})", flags=re.I)[0]
    assert ibans.notna().mean() > 0.95
    assert all(std_iban.is_valid(v.upper()) for v in ibans.dropna())
    with_nir = notes[notes["pii_types"].str.contains("nir")]
    nirs = with_nir["text"].str.extract(
        r"\b([12] ?\d{2} ?\d{2} ?(?:\d{2}|2A|2B|\d{3}) ?\d{2,3} ?\d{3} ?\d{2})\b", flags=re.I
    )[0]
    assert nirs.notna().mean() > 0.95
    assert all(std_nir.is_valid(v.upper()) for v in nirs.dropna())
    assert not notes.loc[notes["pii_types"] == "", "text"].str.contains(r"@|FR\d{2} ?\d{4}", regex=True).any()


@pytest.mark.parametrize("seed", range(3))
def test_fake_identifiers_pass_their_checks(seed: int) -> None:
    import random

    r = random.Random(seed)
    names = fake.NameLists.load()
    corsica = 0
    for _ in range(400):
        nir = fake.nir(r)
        corsica += "2A" in nir or "2B" in nir
        assert std_nir.is_valid(nir), nir
        assert std_iban.is_valid(fake.iban(r))
        card = fake.card_number(r)
        assert luhn.is_valid(re.sub(r"\D", "", card)), card
        number = phonenumbers.parse(fake.phone(r), "FR")
        assert phonenumbers.is_possible_number(number) and number.country_code == 33
        assert re.fullmatch(r"[a-z0-9._]+@[a-z.]+", fake.email(r, names))
    assert corsica > 5


def test_french_number_words() -> None:
    assert number_words(71) == "soixante et onze"
    assert number_words(80) == "quatre-vingts"
    assert number_words(97) == "quatre-vingt-dix-sept"
    assert number_words(1985) == "mille neuf cent quatre-vingt-cinq"
    assert number_words(200) == "deux cents"
    assert number_words(2026) == "deux mille vingt-six"
