"""Each kind of personal data, in its usual French forms, and the words that must survive redaction."""

from __future__ import annotations

import pytest
from stdnum import iban, luhn
from stdnum.fr import nir

from pipeline.redaction import PII_TYPES, Redactor, Span, find_spans, redact

_NIR_BASE = "2840763123045"
NIR = nir.calc_check_digits(_NIR_BASE)
VALID_NIR_SPACED = f"2 84 07 63 123 045 {NIR}"
CORSICAN_BASE = "179012B031021"
CORSICAN_NIR = f"1 79 01 2B 031 021 {nir.calc_check_digits(CORSICAN_BASE)}"
_BBAN = "20041010050500013M02606"
IBAN_FR = "FR" + iban.calc_check_digits("FR00" + _BBAN) + _BBAN
CARD = "5131 4820 9876 543" + luhn.calc_check_digit("513148209876543")


def spans_of(text: str, redactor: Redactor | None = None) -> list[tuple[str, str]]:
    found = (redactor or Redactor()).find_spans(text)
    return [(text[s.start : s.end], s.type) for s in found]


def assert_redacted(text: str, value: str, kind: str) -> None:
    """`value` is inside one span of type `kind`, and no letter or digit of it survives in the output."""
    start = text.index(value)
    found = Redactor().find_spans(text)
    covering = [s for s in found if s.start <= start and start + len(value) <= s.end]
    assert covering, f"{value!r} not redacted in {text!r}: {spans_of(text)}"
    assert covering[0].type == kind, f"{value!r} redacted as {covering[0].type}, expected {kind}"


# --------------------------------------------------------------------------------------------- phone numbers
@pytest.mark.parametrize(
    "text, value",
    [
        ("Rappeler au 06 12 34 56 78 svp", "06 12 34 56 78"),
        ("tél. 0612345678.", "0612345678"),
        ("portable 06.12.34.56.78", "06.12.34.56.78"),
        ("fixe 04-72-00-11-22", "04-72-00-11-22"),
        ("joignable au +33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("joignable au +33612345678", "+33612345678"),
        ("numéro 0033 6 12 34 56 78", "0033 6 12 34 56 78"),
        ("standard : +33 (0)4 72 00 11 22", "+33 (0)4 72 00 11 22"),
        ("en Guadeloupe au +590 690 12 34 56", "+590 690 12 34 56"),
        ("0 7 8 1 2 2 6 3 4 0 dicté chiffre par chiffre", "0 7 8 1 2 2 6 3 4 0"),
        ("0612 34 56 78 (groupes irréguliers)", "0612 34 56 78"),
        ("numéro belge +32 470 12 34 56", "+32 470 12 34 56"),
        ("mon numéro c'est le zéro six, douze, trente-quatre, cinquante-six, soixante-dix-huit", "zéro six"),
        ("zéro sept quatre-vingt-un vingt-deux soixante-trois quarante merci", "quatre-vingt-un"),
    ],
)
def test_phone_numbers(text: str, value: str) -> None:
    assert_redacted(text, value, "TEL")


def test_spoken_phone_is_redacted_as_one_span() -> None:
    text = "rappelez moi au zéro six douze trente-quatre cinquante-six soixante-dix-huit merci"
    assert redact(text) == "rappelez moi au <TEL> merci"


@pytest.mark.parametrize(
    "text",
    [
        "Pour la CAF composer le 3230, pour France Travail le 3949.",
        "Indu de 1 234,56 € à rembourser en 12 mensualités de 102,88 €.",
        "Versement du 05/03/2024 de 845,20 euros, rendez-vous le 12/04/2025 à 14h30.",
        "Elle a trois enfants de douze, neuf et quatre ans.",
        "Loyer de 650 € charges comprises, 2 pièces, 45 m².",
    ],
)
def test_numbers_that_are_not_personal_stay(text: str) -> None:
    assert redact(text) == text


def test_case_number_is_not_a_phone_number() -> None:
    text = "Suivi du dossier n° 2024-000123, l'usager attend depuis deux mois."
    assert spans_of(text) == [("2024-000123", "NUM_DOSSIER")]


# --------------------------------------------------------------------------------------------- NIR
@pytest.mark.parametrize(
    "text, value",
    [
        (f"NIR {VALID_NIR_SPACED} à vérifier", VALID_NIR_SPACED),
        (f"numéro {_NIR_BASE}{NIR} communiqué", f"{_NIR_BASE}{NIR}"),
        (f"sécu : {VALID_NIR_SPACED.replace(' ', '.')}", VALID_NIR_SPACED.replace(" ", ".")),
        (f"sécu : {VALID_NIR_SPACED.replace(' ', chr(0xA0))}", VALID_NIR_SPACED.replace(" ", chr(0xA0))),
        (f"né en Corse, NIR {CORSICAN_NIR}", CORSICAN_NIR),
        (f"numéro de sécu {_NIR_BASE} (sans la clé)", _NIR_BASE),
    ],
)
def test_nir(text: str, value: str) -> None:
    assert_redacted(text, value, "NIR")


def test_nir_key_given_apart() -> None:
    text = f"NIR {_NIR_BASE} clé {NIR}"
    assert redact(text) == "NIR <NIR> clé <NIR>"


def test_nir_with_a_wrong_key_is_redacted_when_announced_and_still_redacted_otherwise() -> None:
    wrong = f"{_NIR_BASE}{(int(NIR) + 1) % 100:02d}"
    assert spans_of(f"numéro de sécurité sociale {wrong}") == [(wrong, "NIR")]
    # Without a trigger it is not a NIR for sure, but a 15-digit number is an identifier: it goes anyway.
    assert spans_of(f"référence virement {wrong}") == [(wrong, "NUM_DOSSIER")]


def test_spelled_out_nir() -> None:
    text = (
        "mon numéro de sécu c'est un quatre-vingt-cinq zéro un soixante-quinze cent vingt-trois "
        "quatre cent cinquante-six zéro neuf"
    )
    assert redact(text) == "mon numéro de sécu c'est <NIR>"


# --------------------------------------------------------------------------------------------- bank details
@pytest.mark.parametrize("separator", [" ", "\u00a0", "\u202f", ""])
def test_iban_with_any_spacing(separator: str) -> None:
    written = separator.join(IBAN_FR[k : k + 4] for k in range(0, len(IBAN_FR), 4))
    text = f"Nouvel IBAN : {written}. Merci."
    assert redact(text) == "Nouvel IBAN : <IBAN>. Merci."


def test_rib_in_four_parts_is_redacted_as_iban() -> None:
    bank, branch, account = "30004", "00820", "00012345678"
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    text = f"RIB {bank} {branch} {account} {key:02d} à enregistrer"
    assert redact(text) == "RIB <IBAN> à enregistrer"


def test_card_number() -> None:
    assert_redacted(f"payé avec la carte {CARD} hier", CARD, "CARTE")
    assert_redacted(f"CB {CARD.replace(' ', '')}", CARD.replace(" ", ""), "CARTE")


# --------------------------------------------------------------------------------------------- e-mail
@pytest.mark.parametrize(
    "text, value",
    [
        ("écrire à jean.dupont@example.org.", "jean.dupont@example.org"),
        ("mail: A.Nguyen+caf@sous.domaine.fr, merci", "A.Nguyen+caf@sous.domaine.fr"),
        ("adresse élodie_martin@gmail.com", "élodie_martin@gmail.com"),
        ("mon mail c'est sophie tiret martin arobase orange point fr", "sophie tiret martin arobase orange point fr"),
    ],
)
def test_email(text: str, value: str) -> None:
    assert_redacted(text, value, "EMAIL")


# --------------------------------------------------------------------------------------------- addresses
@pytest.mark.parametrize(
    "text, value",
    [
        ("Nouvelle adresse : 12 rue des Lilas 69003 Lyon.", "12 rue des Lilas 69003 Lyon"),
        ("habite au 3 bd Gambetta, 59000 Lille depuis mars", "3 bd Gambetta, 59000 Lille"),
        ("réside 27 av. de la République 13001 Marseille", "27 av. de la République 13001 Marseille"),
        ("domicile : 5 chemin des Vignes, 84000 Avignon", "5 chemin des Vignes, 84000 Avignon"),
        ("courrier au lieu-dit Les Granges, 24200 Sarlat", "lieu-dit Les Granges, 24200 Sarlat"),
        ("écrire à BP 1234, 75015 Paris Cedex 15", "BP 1234, 75015 Paris Cedex 15"),
        ("14 bis avenue du Général de Gaulle 94000 Créteil", "14 bis avenue du Général de Gaulle 94000 Créteil"),
        ("habite rue Victor Hugo à Nantes", "rue Victor Hugo à Nantes"),
        ("code postal 33800, la commune n'apparaît pas", "33800"),
        ("appt 12, bât. B, 4 allée des Pins 31200 Toulouse", "appt 12, bât. B, 4 allée des Pins 31200 Toulouse"),
    ],
)
def test_addresses(text: str, value: str) -> None:
    assert_redacted(text, value, "ADRESSE")


@pytest.mark.parametrize(
    "text",
    [
        "La CAF de Lyon a transféré le dossier à la CAF de Paris.",
        "L'agence est place de la République, ouverte le matin.",
        "Deux places en crèche, 3 cours de français par semaine.",
        "Il a pris un chemin de traverse pour venir.",
    ],
)
def test_places_that_are_not_addresses_stay(text: str) -> None:
    assert redact(text) == text


# --------------------------------------------------------------------------------------------- dates of birth
@pytest.mark.parametrize(
    "text, value",
    [
        ("né le 3 janvier 1985 à Lyon", "3 janvier 1985"),
        ("Mme X née le 03/01/85, conteste", "03/01/85"),
        ("date de naissance : 1985-01-03.", "1985-01-03"),
        ("DDN 3.1.85 - droits ouverts ?", "3.1.85"),
        ("née le 1er février 1972", "1er février 1972"),
        ("né(e) le : 30-09-1959", "30-09-1959"),
        ("NEE LE 12/12/1950", "12/12/1950"),
        ("l'enfant est né en 2019", "2019"),
        ("je suis née le trois janvier mille neuf cent quatre-vingt-cinq", "janvier mille neuf cent quatre-vingt-cinq"),
        ("ma date de naissance c'est le douze mars quatre-vingt-dix voilà", "douze mars quatre-vingt-dix"),
        ("Dossier de Mme Durand, 14/07/1952, retraite", "14/07/1952"),  # an old full date, even without trigger
    ],
)
def test_dates_of_birth(text: str, value: str) -> None:
    assert_redacted(text, value, "DATE_NAISSANCE")


@pytest.mark.parametrize(
    "text",
    [
        "Rdv le 3 janvier 2025 à 14h30 à l'agence.",
        "Versement du 05/03/2024 non reçu, le précédent du 05/02/2024 était arrivé.",
        "Courrier daté du 12 février 2024, réponse attendue sous 2 mois.",
        "Je ne le sais pas, je ne le 3 fois rappelé.",
        "Déclaration de naissance à faire pour la PAJE.",
    ],
)
def test_dates_that_are_not_birth_dates_stay(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Appel du 2026-02-03 10:15 : l'usager demande où en est son dossier.",
        "Rappel prévu le 2026-02-03 10 au plus tard.",
        "Horodatage 2026-02-03T10:15:00, transfert au service paiement.",
        "Export du 2026-02-03 10:15:22 relu.",
        "Versement annoncé le 03/02/2026 10:15, rien reçu.",
        "Rdv le 03/02/26 à 10h15 au guichet.",
        "Paiement du 03.02.2026 puis du 03-03-2026.",
        "Suivi du dossier du 2026-02-03 en attente.",
    ],
)
def test_dates_and_timestamps_of_the_call_stay(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "text, value, kind",
    [
        ("le 03/02/2026 06 12 34 56 78 rappeler", "06 12 34 56 78", "TEL"),  # right after a date: the whole phone
        ("appel du 2026-02-03 10:15, tél 0612345678", "0612345678", "TEL"),
        ("portable 06/12/34/56/78", "06/12/34/56/78", "TEL"),  # shaped like « 06/12/34 » then more digits
        ("dossier n° 2024-01-15 à relancer", "2024-01-15", "NUM_DOSSIER"),  # a number word announces it
        ("né le 2026-02-03 10:15 à la maternité", "2026-02-03", "DATE_NAISSANCE"),
    ],
)
def test_personal_data_next_to_dates_is_still_redacted(text: str, value: str, kind: str) -> None:
    assert_redacted(text, value, kind)


# --------------------------------------------------------------------------------------------- identifiers, plates
@pytest.mark.parametrize(
    "text, value",
    [
        ("n° allocataire 1234567 : relevé demandé", "1234567"),
        ("Numéro allocataire : 0987654.", "0987654"),
        ("Réf. courrier AB-2024-11873 incomprise", "AB-2024-11873"),
        ("identifiant France Travail 4456789K bloqué", "4456789K"),
        ("numéro fiscal 12 34 567 890 123", "12 34 567 890 123"),
        ("dossier n° 2023", "2023"),
        ("le numéro de dossier c'est 2024-000123 voilà", "2024-000123"),
    ],
)
def test_case_numbers(text: str, value: str) -> None:
    assert_redacted(text, value, "NUM_DOSSIER")


@pytest.mark.parametrize("text", ["dossier 2023 incomplet", "dossier RSA en cours", "son dossier de 2022"])
def test_words_after_dossier_that_are_not_identifiers_stay(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "text, value",
    [
        ("véhicule AB-123-CD vendu", "AB-123-CD"),
        ("plaque GH 456 JK", "GH 456 JK"),
        ("immatriculé 123 ABC 75 (ancien format)", "123 ABC 75"),
    ],
)
def test_plates(text: str, value: str) -> None:
    assert_redacted(text, value, "IMMAT")


def test_old_plate_format_needs_a_vehicle_word() -> None:
    assert redact("12 RSA 75") == "12 RSA 75"


# --------------------------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    "text, names",
    [
        ("Mme Boulanger appelle pour son APL", ["Boulanger"]),
        ("M. Lyon demande une attestation", ["Lyon"]),
        ("Mme Rose signale un changement", ["Rose"]),
        ("MME LEFEBVRE SIGNALE UN RETARD", ["LEFEBVRE"]),
        ("appel de mr dupont pour son dossier", ["dupont"]),
        ("Mr Tabard et Mme Kerjean-Le Du", ["Tabard", "Kerjean-Le Du"]),
        ("Dr. Vauquelin appelle pour sa patiente", ["Vauquelin"]),
        ("son fils Kevin et sa fille Léa", ["Kevin", "Léa"]),
        ("Usager Karim B. demande le délai", ["Karim B."]),
        ("Appel de DUPONT Marie, mot de passe oublié", ["DUPONT Marie"]),
        ("Sophie Martin appelle, pas reçu la prime", ["Sophie Martin"]),
        ("oui c'est madame rousseau j'ai un courrier", ["rousseau"]),
        ("bonjour je m'appelle sophie martin j'appelle pour", ["sophie martin"]),
        ("M. Pierre-Yves Le Floch de Kerguelen a écrit", ["Pierre-Yves Le Floch de Kerguelen"]),
        ("Appel de Mohamed Ait Ali pour le logement", ["Mohamed Ait Ali"]),
        ("Cordialement, Fabrice Hennequin", ["Fabrice Hennequin"]),
        ("Mme Caroline Janvier et M. Stéphane Peu", ["Caroline Janvier", "Stéphane Peu"]),  # words that are names
        ("M. Emmanuel Taché de la Pagerie alerte", ["Emmanuel Taché de la Pagerie"]),
        ("Mme Marie d'Artagnan appelle", ["Marie d'Artagnan"]),
        ("M. Dupont de la CAF de Lyon", ["Dupont"]),
        ("rdv avec Mme Keita France Travail Vénissieux", ["Keita"]),
    ],
)
def test_names(text: str, names: list[str]) -> None:
    found = [value for value, kind in spans_of(text) if kind == "NOM"]
    assert found == names


@pytest.mark.parametrize(
    "text",
    [
        "pas reçu mon versement RSA, attestation CAF demandée",
        "Demande d'info sur la prime d'activité et l'APL.",
        "Pôle emploi / France Travail : radiation contestée.",
        "Appel de la Maison France Services de Saint-Denis.",
        "Madame souhaite un rendez-vous, Monsieur percevait l'ARE.",
        "Monsieur le Maire a écrit à la CAF.",
        "Madame, Monsieur, je vous écris au sujet de mon dossier.",
        "La rose est rouge. Usager très en colère.",
        "Je suis VRP Multicarte, en chômage partiel.",
        "JE SUIS ACTUELLEMENT EN CHÔMAGE PARTIEL DEPUIS MARS.",
        "Problème de connexion FranceConnect sur Ameli depuis lundi.",
        "Le service des impôts de Lille a transmis l'avis.",
    ],
)
def test_reason_words_and_services_stay(text: str) -> None:
    assert redact(text) == text


# --------------------------------------------------------------------------------------------- configuration
def test_only_the_requested_types_are_redacted() -> None:
    text = f"Mme Dupont, NIR {VALID_NIR_SPACED}, tél 06 12 34 56 78"
    assert Redactor(types=["NIR"]).redact(text) == "Mme Dupont, NIR <NIR>, tél 06 12 34 56 78"
    assert Redactor(types=["NOM", "TEL"]).redact(text) == f"Mme <NOM>, NIR {VALID_NIR_SPACED}, tél <TEL>"


def test_site_patterns_and_extra_patterns() -> None:
    text = "Réclamation ALLOC-123456, courrier XY123456 reçu, ticket interne QZ-77"
    assert redact(text) == text  # none of these shapes is known by default
    site = Redactor(site="exemple_caf").redact(text)
    assert site == "Réclamation <NUM_DOSSIER>, courrier <NUM_DOSSIER> reçu, ticket interne QZ-77"
    extra = Redactor(extra_patterns=[{"type": "NUM_DOSSIER", "regex": r"QZ-\d+"}]).redact(text)
    assert extra == "Réclamation ALLOC-123456, courrier XY123456 reçu, ticket interne <NUM_DOSSIER>"


def test_existing_tags_are_left_alone() -> None:
    text = "Monsieur <NOM> au <TEL>, dossier <NUM_DOSSIER>"
    assert redact(text) == text


def test_find_spans_are_sorted_and_typed() -> None:
    text = "Mme Petit, 06 12 34 56 78, a.b@c.fr"
    found = find_spans(text)
    assert found == sorted(found)
    assert all(isinstance(s, Span) and s.type in PII_TYPES for s in found)
    assert [s.type for s in found] == ["NOM", "TEL", "EMAIL"]
