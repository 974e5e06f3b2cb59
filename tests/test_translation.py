"""The word-translation table: learned from pairs, stored with an index, a third fusion side."""

import json
from dataclasses import replace

import numpy as np
import pytest

from index.build import build_index
from index.cli import main
from index.config import FusionConfig, IndexConfig
from index.errors import DataError, IndexFormatError
from index.records import Document
from index.retriever import Retriever
from index.translation import TRANSLATION_DIR, TranslationTable
from training.translation import TranslationTrainConfig, fit_translation, pair_terms

from .conftest import DEMO_KB

# Patients write «سردرد» and «سرگیجه»; doctors answer «مسکن» and «فشار». No pair shares a word.
PAIRS = ([(["سردرد", "شدید"], ["مسکن", "استراحت"])] * 4
         + [(["سرگیجه", "صبح"], ["فشار", "آب"])] * 4
         + [(["سردرد", "صبح"], ["مسکن", "آب"])] * 2)


def test_the_table_learns_which_answer_words_explain_which_question_words():
    table = fit_translation(PAIRS, TranslationTrainConfig(min_question_pairs=1,
                                                          min_answer_pairs=1))
    q, a = table.question_vocabulary, table.answer_vocabulary
    dense = table.table.toarray()
    assert dense[q["سردرد"], a["مسکن"]] > dense[q["سرگیجه"], a["مسکن"]]
    assert dense[q["سرگیجه"], a["فشار"]] > dense[q["سردرد"], a["فشار"]]
    assert np.all(dense.sum(axis=0) <= 1 + 1e-5)  # P(. | answer word) is a distribution


def test_the_pooled_table_also_learns_from_the_pairs_reversed():
    counts = {"min_question_pairs": 1, "min_answer_pairs": 1}
    one_way = fit_translation(PAIRS, TranslationTrainConfig(pooled=False, **counts))
    pooled = fit_translation(PAIRS, TranslationTrainConfig(**counts))
    assert "مسکن" not in one_way.question_vocabulary
    q, a = pooled.question_vocabulary, pooled.answer_vocabulary
    dense = pooled.table.toarray()
    assert dense[q["مسکن"], a["سردرد"]] > dense[q["فشار"], a["سردرد"]]
    assert dense[q["سردرد"], a["مسکن"]] > dense[q["سرگیجه"], a["مسکن"]]


def test_a_saved_table_loads_identically_and_a_wrong_folder_is_explained(tmp_path):
    table = fit_translation(PAIRS, TranslationTrainConfig(min_question_pairs=1,
                                                          min_answer_pairs=1))
    table.save(tmp_path / "t")
    again = TranslationTable.load(tmp_path / "t")
    assert again.question_vocabulary == table.question_vocabulary
    assert np.array_equal(again.table.toarray(), table.table.toarray())
    assert not list((tmp_path / "t").glob("*.pkl"))
    with pytest.raises(IndexFormatError, match="gaokerena train translation"):
        TranslationTable.load(tmp_path / "missing")


def test_pairs_without_shared_frequent_words_are_refused():
    with pytest.raises(DataError, match="more pairs"):
        fit_translation([(["یک"], ["دو"])])


def test_a_passage_in_the_doctors_words_is_found_for_the_patients_words(tmp_path):
    """Neither passage contains «سردرد»; the table says «مسکن» answers it.

    The table reranks the candidates the other sides find: here BM25 finds both passages
    through «امروز» and cannot tell them apart.
    """
    table = fit_translation(pair_terms([
        ("سردرد شدید دارم", "مسکن بخورید و استراحت کنید"),
        ("سردرد صبح دارم", "مسکن بخورید"),
        ("سردرد بعد از کار", "مسکن و استراحت"),
        ("سرگیجه دارم", "فشار خون را بسنجید"),
        ("سرگیجه صبح", "فشار و آب"),
        ("سرگیجه ناگهانی", "فشار خون"),
    ]), TranslationTrainConfig(min_question_pairs=2, min_answer_pairs=2))
    docs = [Document("fluid", "امروز فشار خون را بسنجید و آب بنوشید"),
            Document("painkiller", "امروز یک قرص مسکن بخورید و استراحت کنید"),
            Document("other", "برای زخم پانسمان تمیز لازم است")]
    build_index(docs, tmp_path / "index", embedder=None, progress=False, translation=table)
    assert (tmp_path / "index" / TRANSLATION_DIR / "table.npz").exists()
    with_table = Retriever.load(tmp_path / "index")
    assert with_table.translation is not None
    assert with_table.search("امروز سردرد دارم", k=3)[0].doc_id == "painkiller"
    assert with_table.search("امروز سرگیجه دارم", k=3)[0].doc_id == "fluid"
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert any(name.startswith(TRANSLATION_DIR) for name in manifest["files"])


def test_weight_zero_gives_exactly_the_ranking_without_a_table(tmp_path, demo_documents,
                                                               tiny_embedder):
    from training.embedder import load_pairs

    table = fit_translation(pair_terms(load_pairs([DEMO_KB])))
    build_index(demo_documents, tmp_path / "plain", embedder=tiny_embedder, progress=False)
    build_index(demo_documents, tmp_path / "table", embedder=tiny_embedder, progress=False,
                translation=table)
    off = replace(IndexConfig().fusion, translation_weight=0.0)
    plain = Retriever.load(tmp_path / "plain", tiny_embedder)
    zero = Retriever.load(tmp_path / "table", tiny_embedder, fusion=off)
    question = "سرم تیر می‌کشد و از نور اذیت می‌شوم"
    assert [h.chunk for h in plain.search(question, 10)] == [
        h.chunk for h in zero.search(question, 10)]


def test_fusion_config_checks_the_translation_settings():
    with pytest.raises(ValueError, match="translation_beta"):
        FusionConfig(translation_beta=1.5)
    with pytest.raises(ValueError, match="translation_smoothing"):
        FusionConfig(translation_smoothing=0)


def test_train_translation_then_index_build_with_it_from_the_command_line(tmp_path, capsys):
    table_dir = tmp_path / "translation"
    assert main(["train", "translation", "--pairs", str(DEMO_KB), "--out", str(table_dir),
                 "--quiet", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["pairs"] == 200 and summary["entries"] > 0
    assert main(["train", "translation", "--pairs", str(DEMO_KB), "--one-way", "--out",
                 str(tmp_path / "one-way"), "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] < summary["entries"]
    assert not list(tmp_path.glob(".translation.partial"))
    assert main(["index", "build", "--input", str(DEMO_KB), "--no-embedder", "--translation",
                 str(table_dir), "--out", str(tmp_path / "index"), "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["translation"] is True
    assert main(["index", "search", "--index", str(tmp_path / "index"), "--k", "3", "--json",
                 "--translation-weight", "1.0", "سردرد و تهوع دارم"]) == 0
    assert json.loads(capsys.readouterr().out)
