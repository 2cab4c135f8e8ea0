"""Person names without a statistical model, and the filter applied to spaCy's PER entities.

Evidence, strongest first:
1. a civility (« M. », « Mme », « Monsieur »…) followed by capitalised words — any word: « M. Lyon », « Mme Rose »;
   after a spelled-out civility a lower-case word too when it is not an ordinary word (« madame rousseau »);
2. a family or role word (« son fils Kevin », « usager Karim B. ») or an introduction (« je m'appelle sophie martin »);
3. the hand-written lists of first names and surnames (`data/`), extended to the capitalised or upper-case words
   touching them (« Sophie Martin », « DUPONT Marie »). Words that are also ordinary words or places (Rose, Pierre,
   Petit, Paris…) need one of the contexts above or another name next to them.
Words that carry the reason (RSA, CAF, France Travail, months, cities…) are never names outside a civility.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from pipeline.redaction.config import RedactionConfig
from pipeline.redaction.lexicon import Lexicon, fold, phrase_pattern
from pipeline.redaction.patterns import matches_at
from pipeline.redaction.spans import NOM, RANK_NAME, Candidate

if TYPE_CHECKING:
    from spacy.tokens import Doc

_WORD_CHARS = r"[^\W\d_]+(?:['’\-][^\W\d_]+)*"
# An elided article or pronoun is its own word (« l'usager », « qu'il », « L'usager »), except a capital before a
# capital (« N'Diaye », « D'Souza » are names).
_TOKEN = re.compile(
    r"(?<![^\W\d_])(?:(?P<elided>[ldjmnstc]|qu|jusqu|lorsqu|puisqu|quoiqu)['’](?=[^\W\d_])"
    r"|(?P<elided_cap>[LDJMNSTC]|Qu|Jusqu|Lorsqu|Puisqu)['’](?=[^\W\d_])(?![A-ZÀ-ÖØ-Þ]))"
    rf"|(?P<word>{_WORD_CHARS})"
)
_VERB_ENDINGS = ("ait", "aient", "ons", "ez", "er", "ée", "ées", "és", "ir", "rai", "ront", "ment")
_POLITENESS = frozenset({"bonjour", "bonsoir", "merci", "cordialement", "allo"})
_Adjacent = Callable[[int, int], bool]
_KEEP_WORD = 1  # keep marks: a listed service, place or period word
_SEQUENCE = 2  # a word of a listed multi-word service (« France Travail »)


_BOUNDARY = re.compile("(?:\\A|(?P<mark>[.!?\n…]))[ \t\u00a0\u202f\"«»“”'()\\[\\]\\-–*]*")


class Token:
    """A word of the text with what the name rules look at."""

    __slots__ = ("cap", "dot", "end", "initial", "key", "sentence_start", "start", "text", "upper")

    def __init__(self, start: int, end: int, text: str, key: str, dot: bool, sentence_start: bool) -> None:
        self.start = start
        self.end = end
        self.text = text
        self.key = key  # folded
        self.cap = text[0].isupper()  # starts with an upper-case letter
        self.upper = self.cap and len(text) >= 2 and text.isupper()  # all upper-case, two letters or more
        self.initial = len(text) == 1 and self.cap and dot  # « Karim B. »
        self.dot = dot  # followed by « . »
        self.sentence_start = sentence_start


@lru_cache(maxsize=1 << 16)
def _word_shape(word: str) -> tuple[str, bool, bool, bool]:
    """(folded key, starts with a capital, all capitals (2+ letters), one capital letter) of a word: words repeat."""
    cap = word[0].isupper()
    return fold(word), cap, cap and len(word) >= 2 and word.isupper(), cap and len(word) == 1


def _token(start: int, end: int, word: str, dot: bool, sentence_start: bool) -> Token:
    """`Token(start, end, word, fold(word), dot, sentence_start)`, with the word's shape from the cache."""
    token = Token.__new__(Token)
    token.start = start
    token.end = end
    token.text = word
    token.key, token.cap, token.upper, single_capital = _word_shape(word)
    token.initial = single_capital and dot
    token.dot = dot
    token.sentence_start = sentence_start
    return token


def tokenize(text: str) -> list[Token]:
    """Words of `text` (elided articles split off: « l'usager » → « l », « usager »; « N'Diaye » kept whole)."""
    # where a sentence may start: position after « . », « ! », « ? », a line break (and quotes, brackets, spaces)
    boundaries = {m.end(): m.start() if m.group("mark") else -1 for m in _BOUNDARY.finditer(text)}
    tokens: list[Token] = []
    previous_end = -1
    previous_length = 0
    size = len(text)
    for match in _TOKEN.finditer(text):
        word = match[match.lastindex or 0]  # the one group that matched: elided, elided_cap or word
        start = match.start()
        end = start + len(word)
        mark = boundaries.get(start)
        if mark is None:
            sentence_start = False
        elif mark < 0:
            sentence_start = True
        else:
            # « M. Dupont », « Karim B. Martin »: the dot of an abbreviation does not end a sentence
            sentence_start = not (text[mark] == "." and previous_end == mark and previous_length <= 3)
        tokens.append(_token(start, end, word, end < size and text[end] == ".", sentence_start))
        previous_end, previous_length = end, len(word)
    return tokens


@dataclass(frozen=True)
class _TextShape:
    caps: bool  # written in capitals: case says nothing
    lower: bool  # transcript written in lower case: lower-case names are plausible


def _shape(tokens: list[Token]) -> _TextShape:
    letters = sum(len(t.text) for t in tokens)
    upper_letters = sum(len(t.text) for t in tokens if t.upper)
    caps = letters >= 15 and upper_letters > 0.7 * letters
    inner = [t for t in tokens if not t.sentence_start]
    lower = len(inner) >= 5 and sum(t.cap for t in inner) <= 0.03 * len(inner)
    return _TextShape(caps=caps, lower=lower)


class NameDetector:
    """Finds person names with rules and word lists; also filters and gates spaCy's NER."""

    def __init__(self, config: RedactionConfig, lexicon: Lexicon) -> None:
        names = config.names
        self.lexicon = lexicon
        self.civility_abbreviations = frozenset(fold(w) for w in names.civility_abbreviations)
        self.civility_words = frozenset(fold(w) for w in names.civility_words)
        self.role_words = frozenset(fold(w) for w in names.role_words)
        self.particles = frozenset(fold(w) for w in names.particles)
        self.introduction_words = first_words((*names.introductions, *names.weak_introductions))
        self.trigger_words = self.civility_abbreviations | self.civility_words | self.role_words
        listed = lexicon.first_names | lexicon.surnames | lexicon.ambiguous_first_names | lexicon.ambiguous_surnames
        self.keep_not_names = lexicon.keep - listed  # service, place and period words that are not also names
        self.introductions = re.compile(rf"(?i)(?<![^\W\d_]){phrase_pattern(names.introductions)}(?![^\W\d_])\s*[:,]?")
        self.weak_introductions = re.compile(
            rf"(?i)(?<![^\W\d_]){phrase_pattern(names.weak_introductions)}(?![^\W\d_])\s*[:,]?"
        )

    # ------------------------------------------------------------------ word classes
    def _is_civility(self, tok: Token) -> bool:
        if tok.key in self.civility_words:
            return True
        if tok.key in self.civility_abbreviations:
            # « me » is also a pronoun: only « Me » (Maître) followed by a capitalised word counts, checked by caller
            return tok.cap or tok.key in ("mme", "mlle", "mr", "melle")
        return False

    def _ordinary(self, key: str) -> bool:
        return key in self.lexicon.common or key in self.role_words or key in _POLITENESS

    def _lower_name_like(self, tok: Token) -> bool:
        """A lower-case word that may be a name in a transcript (« madame rousseau »)."""
        if self.lexicon.is_any_name(tok.key):
            return True
        if self._ordinary(tok.key) or tok.key in self.lexicon.keep or len(tok.key) < 3:
            return False
        return not tok.key.endswith(_VERB_ENDINGS)

    def _keep_marks(self, tokens: list[Token]) -> list[int]:
        """Non-zero for words to keep: `_KEEP_WORD` for a listed service/place/period word that is not also a name,
        `_SEQUENCE` for every word of a listed multi-word service (« France Travail », « Pôle emploi »)."""
        lex = self.lexicon
        keep_only = self.keep_not_names
        marks = [_KEEP_WORD if tok.key in keep_only else 0 for tok in tokens]
        keys = [t.key for t in tokens]
        for i, key in enumerate(keys):
            for sequence in lex.keep_sequences.get(key, ()):
                n = len(sequence)
                if tuple(keys[i : i + n]) == sequence:
                    for k in range(i, i + n):
                        marks[k] = _SEQUENCE
        return marks

    # ------------------------------------------------------------------ detection
    def candidates(self, text: str, tokens: list[Token] | None = None) -> list[Candidate]:
        tokens = tokenize(text) if tokens is None else tokens
        if not tokens:
            return []
        shape = _shape(tokens)
        keep = self._keep_marks(tokens)
        marked = [False] * len(tokens)

        def adjacent(a: int, b: int) -> bool:
            gap = text[tokens[a].end + (1 if tokens[a].dot and tokens[a].initial else 0) : tokens[b].start]
            return gap == "" or gap.isspace() or gap == "-"

        def consume(j: int, *, limit: int, lower_ok: bool, any_cap: bool) -> None:
            """Mark the name words starting at token j (right after a trigger)."""
            taken = 0
            while j < len(tokens) and taken < limit:
                tok = tokens[j]
                if taken and not (adjacent(j - 1, j) or text_gap_is_elision(tokens[j - 1], tok)):
                    break
                first = taken == 0
                # right after a name word (no particle between), a capitalised word continues the name
                # (« Caroline Janvier », « Stéphane Peu »); after a particle it must not be a service or place
                # (« M. Dupont de la CAF de Lyon »)
                follows_name = taken > 0 and tokens[j - 1].key not in self.particles
                if self._is_civility(tok) or tok.key in _POLITENESS:
                    ok = False
                elif tok.initial:
                    ok = True
                elif tok.key in self.particles and tok.cap and taken and not shape.caps and not tok.upper:
                    ok = True  # « Kerjean-Le Du », « Ben Ali »: a capitalised particle inside or ending a name
                elif tok.key in self.particles and j + 1 < len(tokens) and (taken or tok.cap):
                    nxt = tokens[j + 1]
                    after = j + 1
                    if nxt.key in self.particles and not nxt.cap and j + 2 < len(tokens):  # « de la Pagerie »
                        after = j + 2
                        nxt = tokens[after]
                    ok = (nxt.cap or nxt.upper) and not shape.caps and not keep[after]
                    ok = ok and nxt.key not in self.lexicon.keep
                elif keep[j] and not (any_cap and (first or (follows_name and keep[j] != _SEQUENCE))):
                    ok = False
                elif shape.caps:
                    # written in capitals: a listed name, or after a civility a word that is not an ordinary one
                    ok = self.lexicon.is_any_name(tok.key) or (any_cap and first and self._lower_name_like(tok))
                elif tok.cap or tok.upper:
                    acronym = tok.upper and (tok.key in self.lexicon.keep or len(tok.key) <= 4)
                    # after a civility the first word is a name whatever it is (« M. Lyon »)
                    ok = any_cap and (first or follows_name) and not (acronym and tok.key in self.lexicon.keep)
                    ok = ok or self.lexicon.is_any_name(tok.key)
                    ok = ok or (tok.key not in self.lexicon.keep and not self._ordinary(tok.key) and not acronym)
                elif lower_ok:
                    ok = self._lower_name_like(tok)
                else:
                    ok = self.lexicon.is_first_name(tok.key) or (taken > 0 and self.lexicon.is_surname(tok.key))
                if not ok:
                    break
                marked[j] = True
                taken += 1
                j += 1
            # a particle cannot end a name
            while taken and tokens[j - 1].key in self.particles and not tokens[j - 1].cap:
                marked[j - 1] = False
                taken -= 1
                j -= 1

        starts = [tok.start for tok in tokens]

        def token_after(pos: int) -> int:
            return bisect.bisect_left(starts, pos)

        triggers = self.trigger_words
        # 1. civilities
        for i, tok in enumerate(tokens):
            if tok.key not in triggers or not self._is_civility(tok) or i + 1 >= len(tokens):
                continue
            if tok.key == "me" and not (tokens[i + 1].cap or tokens[i + 1].upper):
                continue
            if text[tok.end : tokens[i + 1].start].strip() not in ("", "."):
                continue
            # spelled out (« madame rousseau ») or typed in lower case (« mme dupont »): a lower-case name is plausible
            lower_ok = (tok.key in self.civility_words or not tok.cap) and not tok.upper
            consume(i + 1, limit=5, lower_ok=lower_ok, any_cap=True)
        # 2. family and role words
        for i, tok in enumerate(tokens):
            if tok.key in triggers and tok.key in self.role_words and i + 1 < len(tokens):
                gap = text[tok.end : tokens[i + 1].start]
                if gap.strip() in ("", ":", ","):
                    consume(i + 1, limit=3, lower_ok=False, any_cap=False)
        # 3. introductions
        intro_starts = [tok.start for tok in tokens if tok.key in self.introduction_words]
        for pattern, lower_ok in ((self.introductions, True), (self.weak_introductions, False)):
            for match in matches_at(pattern, text, intro_starts):
                k = token_after(match.end())
                if k < len(tokens) and not text[match.end() : tokens[k].start].strip():
                    consume(k, limit=3, lower_ok=lower_ok, any_cap=False)
        # 4. word lists
        lower_mode = shape.lower
        for i, tok in enumerate(tokens):
            if marked[i] or keep[i] or not (tok.cap or lower_mode):
                continue
            if self._listed_name(tok, i, tokens, shape, keep, adjacent):
                marked[i] = True
        # 5. extend every name to the capitalised words touching it
        self._extend(tokens, marked, keep, shape, adjacent)
        return _runs(text, tokens, marked)

    def _listed_name(
        self, tok: Token, i: int, tokens: list[Token], shape: _TextShape, keep: list[int], adjacent: _Adjacent
    ) -> bool:
        lex = self.lexicon
        if shape.caps:
            return lex.is_first_name(tok.key) and tok.key not in lex.common
        if not (tok.cap or tok.upper):
            return shape.lower and tok.key in lex.first_names and tok.key not in lex.common
        if lex.is_first_name(tok.key) or lex.is_surname(tok.key):
            return True
        if tok.key in lex.ambiguous_first_names and tok.key not in lex.keep and not tok.upper:
            # « Pierre Blanc », « Claire Dubreuil »: an ambiguous first name next to another capitalised word
            for k in (i - 1, i + 1):
                if 0 <= k < len(tokens) and (adjacent(k, i) if k < i else adjacent(i, k)):
                    other = tokens[k]
                    named = (other.cap or other.upper) and not keep[k] and not self._ordinary(other.key)
                    if named and not self._is_civility(other):
                        return True
        return False

    def _extend(
        self, tokens: list[Token], marked: list[bool], keep: list[int], shape: _TextShape, adjacent: _Adjacent
    ) -> None:
        lex = self.lexicon

        def joinable(k: int) -> bool:
            tok = tokens[k]
            if tok.key in self.particles and tok.cap and not shape.caps and k + 1 < len(tokens):
                # « Mohamed Ait Ali », « Marie Le Goff »: a capitalised particle before another name word
                nxt = tokens[k + 1]
                return not marked[k] and (nxt.cap or nxt.upper) and not keep[k + 1] and adjacent(k, k + 1)
            if marked[k] or self._is_civility(tok) or self._ordinary(tok.key) or tok.key in self.particles:
                return False
            if tok.initial:
                return True
            if shape.caps:
                return lex.is_any_name(tok.key)
            if not (tok.cap or tok.upper) or keep[k]:
                return False
            return not (tok.upper and len(tok.key) <= 2)

        work = [i for i, is_name in enumerate(marked) if is_name]
        while work:
            i = work.pop()
            right = i + 1
            if right < len(tokens) and not marked[right] and adjacent(i, right):
                if joinable(right):
                    marked[right] = True
                    work.append(right)
                elif not shape.caps and (after := self._particle_bridge(tokens, keep, i, adjacent)) > 0:
                    # « Le Floch de Kerguelen », « Taché de la Pagerie »: lower-case particles between name words
                    for k in range(right, after + 1):
                        marked[k] = True
                    work.append(after)
            left = i - 1
            if left >= 0 and not marked[left] and adjacent(left, i) and joinable(left):
                tok = tokens[left]
                # a capitalised word at the start of a sentence is only a name if upper-case or listed
                if not tok.sentence_start or tok.upper or lex.is_any_name(tok.key):
                    marked[left] = True
                    work.append(left)

    def _particle_bridge(self, tokens: list[Token], keep: list[int], i: int, adjacent: _Adjacent) -> int:
        """Index of the name word after one or two lower-case particles following token i, or -1."""
        k = i + 1
        while k < len(tokens) and k <= i + 2 and tokens[k].key in self.particles and not tokens[k].cap:
            if not (adjacent(k - 1, k) or text_gap_is_elision(tokens[k - 1], tokens[k])):
                return -1
            k += 1
        if k == i + 1 or k >= len(tokens) or not (adjacent(k - 1, k) or text_gap_is_elision(tokens[k - 1], tokens[k])):
            return -1
        after = tokens[k]
        named = after.cap and not keep[k] and not self._ordinary(after.key) and not self._is_civility(after)
        return k if named else -1

    # ------------------------------------------------------------------ NER
    def needs_ner(self, text: str, found: Iterable[Candidate], tokens: list[Token] | None = None) -> bool:
        """True when the note holds a capitalised word that nothing explains (not a sentence start, a service, a
        place, an ordinary word, nor something already found): only then can NER find a name the rules missed."""
        tokens = tokenize(text) if tokens is None else tokens
        if not tokens or _shape(tokens).caps:
            return False
        keep = self._keep_marks(tokens)
        covered = sorted((c.start, c.end) for c in found)
        for i, tok in enumerate(tokens):
            if not (tok.cap or tok.upper) or tok.sentence_start or keep[i] or _inside(tok, covered):
                continue
            if tok.upper and len(tok.key) <= 4:  # acronyms
                continue
            if self._ordinary(tok.key) or self._is_civility(tok) or len(tok.key) < 2:
                continue
            return True
        return False

    def ner_candidates(self, text: str, doc: Doc) -> Iterable[Candidate]:
        """spaCy PER entities, trimmed of civilities and ordinary words, never a service or place name alone."""
        for ent in doc.ents:
            if ent.label_ != "PER":
                continue
            words = [t for t in ent if t.is_alpha or "-" in t.text or "'" in t.text]
            while words and self._not_name_word(words[0].text):
                words.pop(0)
            while words and self._not_name_word(words[-1].text):
                words.pop()
            if not words:
                continue
            start, end = words[0].idx, words[-1].idx + len(words[-1].text)
            yield Candidate(start, end, NOM, RANK_NAME)

    def _not_name_word(self, word: str) -> bool:
        key = fold(word)
        if key in self.civility_words or key in self.civility_abbreviations or key in self.particles:
            return True
        if self.lexicon.is_any_name(key):
            return False
        return not word[:1].isupper() or key in self.lexicon.keep or self._ordinary(key)


def _inside(tok: Token, covered: list[tuple[int, int]]) -> bool:
    return any(start <= tok.start < end for start, end in covered)


def first_words(phrases: Iterable[str]) -> frozenset[str]:
    """Folded first word of each phrase, as `tokenize` cuts it (« je m'appelle » → « je »)."""
    return frozenset(words[0].key for words in (tokenize(p) for p in phrases) if words)


def text_gap_is_elision(left: Token, right: Token) -> bool:
    """« d'Artagnan », « de l'Isle »: an elided particle touches the next word through its apostrophe."""
    return right.start == left.end + 1 and len(left.text) <= 2


_JOINING_GAP = re.compile(r"[ \t\u00a0\u202f\-'’]*")


def _runs(text: str, tokens: list[Token], marked: list[bool]) -> list[Candidate]:
    """One candidate per run of name words joined by spaces, hyphens or apostrophes (« Marie d'Artagnan »)."""
    found: list[Candidate] = []
    start = end = -1
    for tok, is_name in zip(tokens, marked, strict=True):
        if not is_name:
            continue
        tok_end = tok.end + (1 if tok.initial else 0)
        if start >= 0 and _JOINING_GAP.fullmatch(text, end, tok.start):
            end = tok_end
            continue
        if start >= 0:
            found.append(Candidate(start, end, NOM, RANK_NAME))
        start, end = tok.start, tok_end
    if start >= 0:
        found.append(Candidate(start, end, NOM, RANK_NAME))
    # a lone one-letter word is not a name (« M » of a civility written without its dot)
    return [c for c in found if c.end - c.start > 1 or text[c.start : c.end].endswith(".")]
