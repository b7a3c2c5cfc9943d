"""Understanding patients as they write: the corpus, the classifier, and the pipeline that
puts the rules and the classifier together. The held-out bar here is what CI holds us to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.conversation import answers_report
from bot.conversation.pipeline import Pipeline
from bot.conversation.understanding import corpus, evaluate, realistic
from bot.conversation.understanding.model import default_classifier
from content import load_content

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(load_content(), "NextSteps", "614-555-0100")


@pytest.fixture(scope="module")
def heldout_report(pipeline: Pipeline) -> evaluate.Report:
    return evaluate.evaluate(pipeline, corpus.heldout_examples())


# --- the corpus ----------------------------------------------------------------------


def test_corpus_is_big_enough_with_many_emergencies() -> None:
    training, heldout = corpus.training_examples(), corpus.heldout_examples()
    everything = training + heldout
    assert len(everything) >= 2000
    assert sum(ex.label == "urgent" for ex in everything) >= 300
    assert len(heldout) >= 500


def test_every_label_is_a_topic_or_a_service_intent() -> None:
    known = set(load_content().topics) | set(corpus.SERVICE_LABELS)
    labels = {ex.label for ex in corpus.training_examples() + corpus.heldout_examples()}
    assert labels <= known
    assert labels >= known  # and each is taught and measured


def test_training_never_sees_a_heldout_text() -> None:
    def key(text: str) -> str:
        return " ".join(text.lower().split())

    training = {key(ex.text) for ex in corpus.training_examples()}
    overlap = [ex.source for ex in corpus.heldout_examples() if key(ex.text) in training]
    assert overlap == []
    assert corpus.HELDOUT_FILE not in {p.name for p in corpus.training_files()}


def test_no_training_text_or_card_phrasing_is_an_evaluation_text() -> None:
    """The month and question sets are measured, never taught: a text a writer of the
    training files happened to write the same way ("ok", "STOP") is left out of training."""

    def key(text: str) -> str:
        return " ".join(text.lower().split())

    kept_aside = {key(t.text) for t in realistic.read_month()}
    kept_aside |= {key(q.text) for q in answers_report.load_questions()}
    kept_aside |= {key(ex.text) for ex in corpus.heldout_examples()}
    taught = [ex.source for ex in corpus.training_examples() if key(ex.text) in kept_aside]
    asked = [
        line
        for path in sorted((ROOT / "content" / "cards" / "asked").glob("*.tsv"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.count("\t") == 2 and key(line.split("\t")[2]) in kept_aside
    ]
    assert taught == [] and asked == []


def test_a_malformed_corpus_line_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.tsv"
    bad.write_text("# comment\nfine\tthanks\nno label here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"x.tsv:3"):
        corpus.read_tsv(bad)


# --- the held-out bar (CI fails below it) --------------------------------------------


def test_heldout_stop_recall_is_complete_and_urgent_at_its_gate(
    heldout_report: evaluate.Report,
) -> None:
    # Issue 23 traded a little held-out urgent recall (100 % -> 96 %) for a clinic's real
    # false-alarm rate; the gate holds what was reached (see EVALUATION.md).
    assert heldout_report.recall("stop") == 1.0
    assert heldout_report.recall("urgent") >= evaluate.MIN_HELDOUT_URGENT_RECALL


def test_heldout_routes_at_least_95_percent_right(heldout_report: evaluate.Report) -> None:
    assert heldout_report.accuracy >= evaluate.MIN_ACCURACY


@pytest.fixture(scope="module")
def month_report(pipeline: Pipeline) -> realistic.MonthReport:
    return realistic.evaluate_month(pipeline)


def test_realistic_month_meets_its_gates(month_report: realistic.MonthReport) -> None:
    f = month_report.figures()
    assert f["urgent"][0] / f["urgent"][1] >= realistic.MIN_EMERGENCY_RECALL
    assert f["self_harm"][0] == f["self_harm"][1]
    assert f["opt_out"][0] / f["opt_out"][1] >= realistic.MIN_OPT_OUT_RECALL
    assert f["false_emergency"][0] / f["false_emergency"][1] <= realistic.MAX_FALSE_EMERGENCY
    assert f["review"][0] / f["review"][1] <= realistic.MAX_REVIEW


def test_the_answers_block_is_kept_as_it_is() -> None:
    block = "<!-- answers:begin -->\nby another report\n<!-- answers:end -->"
    assert realistic.answers_block("x\n" + block + "\ny") == block + "\n"
    assert realistic.answers_block("no block") == ""


def test_evaluation_md_is_the_generated_report(
    heldout_report: evaluate.Report, month_report: realistic.MonthReport
) -> None:
    from bot.cli.corpus import document

    committed = (ROOT / "EVALUATION.md").read_text(encoding="utf-8")
    assert committed == document(heldout_report, month_report, committed), (
        "EVALUATION.md is stale: run `flask --app bot corpus evaluate --write EVALUATION.md`"
    )


# --- the classifier ------------------------------------------------------------------


def test_fast_scoring_equals_scikit_learns() -> None:
    model = default_classifier()
    texts = [ex.text for ex in corpus.heldout_examples()[:120]] + ["", "👍", "???"]
    expected = model.svm.decision_function(model.transform(texts))
    got = np.array([model.decision(t) for t in texts])
    assert np.allclose(got, expected, atol=1e-9)


def test_training_is_deterministic() -> None:
    from bot.conversation.understanding.model import Classifier

    examples = corpus.training_examples()[::3]
    first, second = Classifier(examples), Classifier(examples)
    assert np.array_equal(first.svm.coef_, second.svm.coef_)


def test_a_prediction_says_which_words_pushed_it() -> None:
    seen = default_classifier().predict("are there any clinical trials near me")
    assert seen.label == "trials"
    assert any("trial" in word for word in seen.evidence)
    assert seen.ranking[0] == ("trials", seen.score)
