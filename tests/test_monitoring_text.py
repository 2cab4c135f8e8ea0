"""`LookupLemmatizer`: the fast lemmas of national-scale monitoring (issue 17) filter like the spaCy rule ones."""

from __future__ import annotations

import numpy as np
import pytest

from serving.monitoring import LookupLemmatizer, SpacyLemmatizer, default_config
from serving.monitoring.text import make_lemmatizer

STOPS = default_config().emerging.representation.extra_stop_words


def test_lookup_lemmas_drop_stop_words_placeholders_and_numbers() -> None:
    (tokens,) = LookupLemmatizer(extra_stop_words=STOPS)(
        ["J'ai appelé [NOM] : dossiers envoyés le 12, factures reçues"]
    )
    # « appelé » is read as « appeler » (a stop word here), « envoyés » as « envoyer », plurals as singulars; without
    # a part of speech, « reçues » is the table's « reçu » (the rule lemmatizer says « recevoir »).
    assert tokens.lemmas == ("dossier", "envoyer", "facture", "reçu")
    assert tokens.vector is not None and tokens.vector.dtype == np.float32 and np.linalg.norm(tokens.vector) > 0


def test_lookup_lemmas_mostly_agree_with_the_rule_lemmatizer() -> None:
    notes = [
        "L'usager demande où en est le remboursement de ses frais médicaux",
        "Elle n'a pas reçu sa carte vitale et voudrait savoir quand elle arrivera",
        "Problème de connexion à l'espace personnel, mot de passe oublié",
        "Appel pour une attestation de droits à envoyer par courrier",
    ]
    rule = SpacyLemmatizer(extra_stop_words=STOPS)(notes)
    lookup = LookupLemmatizer(extra_stop_words=STOPS)(notes)
    same = sum(len(set(a.lemmas) & set(b.lemmas)) for a, b in zip(rule, lookup, strict=True))
    assert same / sum(len(set(a.lemmas)) for a in rule) >= 0.8


def test_lookup_lemmatizer_is_configurable_and_rejects_one_string() -> None:
    lemmatizer = make_lemmatizer("lookup", extra_stop_words=STOPS)
    assert [t.lemmas for t in lemmatizer(["", "factures"])] == [(), ("facture",)]
    with pytest.raises(TypeError):
        LookupLemmatizer()("une seule note")
