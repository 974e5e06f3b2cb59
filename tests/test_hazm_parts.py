"""Normalizing and analyzing import only hazm's own parts, and give full hazm's output."""

import json
import subprocess
import sys

from .conftest import REPO

TEXTS = [
    "مي‌خواهم  كتاب ها را ببينم ۱2",
    "سردردهای من با قرص‌ها خوب نمی‌شود و دکتر گفت باید آزمایش بدهم.",
    "آيا مصرف ايبوپروفن در بارداري خطرناك است؟؟؟",
    "بچه‌ام از دیشب تب ۳۸.۵ دارد، استامینوفن بدهم یا بروفن؟ می‌رویم بیمارستان",
    "فشارم 14 روی 9 است؛ داروهایم را نخورده‌ام!!",
]

PROCESS = """
import json, sys
{prelude}
from index.analyze import shared_analyzer
from index.normalize import shared_normalizer
normalize, analyze = shared_normalizer(), shared_analyzer()
texts = json.loads(sys.argv[1])
out = [[normalize(t), analyze(normalize(t))] for t in texts]
heavy = sorted(m for m in ("sklearn", "gensim", "fasttext", "nltk", "hazm.pos_tagger",
                           "hazm.embedding", "torch") if m in sys.modules)
print(json.dumps({{"out": out, "heavy": heavy}}, ensure_ascii=False))
"""


def run(prelude: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROCESS.format(prelude=prelude),
                           json.dumps(TEXTS)], capture_output=True, text=True, cwd=REPO,
                          check=True)
    return json.loads(done.stdout)


def test_lite_hazm_matches_full_hazm_and_skips_its_heavy_imports():
    lite = run("")
    full = run("import hazm")
    assert lite["out"] == full["out"]
    assert lite["heavy"] == []
    assert "sklearn" in full["heavy"]  # what the lite path avoids
    assert lite["out"][0][0] == "می‌خواهم کتاب‌ها را ببینم ۱۲"


def test_full_hazm_still_imports_after_the_lite_parts():
    code = ("from index.hazm_parts import hazm_parts\n"
            "parts = hazm_parts()\n"
            "import hazm\n"
            "assert hazm.Normalizer is parts.Normalizer\n"
            "print(hazm.POSTagger.__name__, hazm.word_tokenize('سلام دنیا'))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, check=True)
    assert done.stdout.strip() == "POSTagger ['سلام', 'دنیا']"
