import numpy as np

from identity.scoring import (
    ComparisonModel,
    FittedModel,
    anchor_pairs,
    refit_disagreement_on_anchors,
)
from identity.settings import ResolutionSettings

PERSON = ResolutionSettings().person
COMPARISONS = {c.name: c for c in PERSON.comparisons}


GIVEN_M = [0.6, 0.05, 0.01, 0.04, 0.04, 0.01, 0.025, 0.015, 0.01, 0.2]  # "different" last
DIFFERENT = len(GIVEN_M) - 1


def _model(name: str, m: list[float]) -> ComparisonModel:
    comparison = COMPARISONS[name]
    return ComparisonModel(comparison, np.array(m), np.full(len(m), 1.0 / len(m)), None, None)


def test_anchor_pairs_measure_how_often_true_matches_differ():
    """EM said 20% of matches have a different given name (relatives at one address);
    the pairs tied by an unshared email say 1%: that is the m kept, and the other
    levels keep EM's proportions."""
    given = _model("given_name", GIVEN_M)
    email = _model("email", [0.7, 0.3])
    rows = 1000
    levels = np.zeros((rows, 2), dtype=np.int8)
    levels[:10, 0] = DIFFERENT  # 1% of anchors differ on the given name
    levels[-100:, 1] = 1  # not anchors: no email in common ...
    levels[-100:, 0] = DIFFERENT  # ... and all of them differ (relatives)
    email.shared_values = np.array([False, True])  # value 1: an inbox of different people
    agreed = np.zeros(rows, dtype=np.int32)
    agreed[-200:-100] = 1  # an inbox different people carry is no anchor either
    levels[-200:-100, 0] = DIFFERENT
    anchors = anchor_pairs([given, email], levels, [None, agreed])
    assert anchors.sum() == rows - 200
    refit_disagreement_on_anchors([given, email], levels, anchors, min_pairs=100)
    assert np.isclose(given.m[DIFFERENT], 10 / 800)
    assert np.isclose(given.m.sum(), 1.0)
    assert np.isclose(given.m[0] / given.m[1], 12.0)
    assert email.m.tolist() == [0.7, 0.3]  # an anchor is not measured on itself


def test_too_few_anchor_pairs_leave_em_alone():
    given = _model("given_name", GIVEN_M)
    levels = np.zeros((50, 2), dtype=np.int8)
    refit_disagreement_on_anchors(
        [given, _model("email", [0.7, 0.3])], levels, np.ones(50, dtype=bool), min_pairs=100
    )
    assert given.m[DIFFERENT] == 0.2


def test_weights_follow_a_model_given_new_parameters():
    """Weights are kept once worked out, and worked out again for a new m or u (EM and the
    anchor refit assign them)."""
    email = _model("email", [0.7, 0.3])
    assert email.weights.tolist() == np.log2(np.array([0.7, 0.3]) / 0.5).tolist()
    email.m = np.array([0.9, 0.1])
    assert email.weights.tolist() == np.log2(np.array([0.9, 0.1]) / 0.5).tolist()
    email.u = np.array([0.1, 0.9])
    assert email.weights.tolist() == np.log2(np.array([9.0, 0.1 / 0.9])).tolist()


def test_a_fitted_models_parameters_are_kept_per_comparison_asked_about():
    """A model scoring batch after batch works a comparison's weights out once; asked
    about another comparison of that name (other settings), it works them out anew."""
    given = COMPARISONS["given_name"]
    m = np.array(GIVEN_M)
    levels = len(GIVEN_M)
    model = FittedModel({"given_name": m}, {"given_name": np.full(levels, 1 / levels)}, 0.01)
    kept = model.parameters(given)
    assert model.parameters(given) is kept
    assert kept.weights.tolist() == _model("given_name", m.tolist()).weights.tolist()
    neutral = [lvl.model_copy(update={"neutral": True}) for lvl in given.levels]
    other = given.model_copy(update={"levels": neutral})
    assert model.parameters(other).weights.tolist() == [0.0] * levels
    assert model.parameters(other).level_weights.tolist() == [0.0] * (levels + 1)
    copied = kept.with_frequencies(np.array([0.5]), None)
    assert copied.weights is kept.weights and kept.value_u is None
