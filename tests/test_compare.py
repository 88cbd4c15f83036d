"""raf.compare: the one distance between simulations and theory, in standard errors."""

import numpy as np
import pytest

from raf.compare import DEFAULT_FLOOR, deviation, max_deviation, resolution
from raf.result import Result


def test_deviation_in_standard_errors():
    d = deviation([0.30, 0.20], [0.01, 0.02], [0.28, 0.20])
    np.testing.assert_allclose(d, [2.0, 0.0])


def test_floor_and_bias():
    # every seed equal (sem 0): the floor stands in for the resolution
    assert deviation(0.0, 0.0, 0.004, floor=0.002) == pytest.approx(2.0)
    assert deviation(0.0, np.nan, 0.004, floor=0.002) == pytest.approx(2.0)
    assert deviation(0.0, 0.0, 0.004) == pytest.approx(0.004 / DEFAULT_FLOOR)
    # the finite-size allowance is taken off first, never below zero
    assert deviation(0.31, 0.01, 0.30, bias=0.005) == pytest.approx(0.5)
    assert deviation(0.31, 0.01, 0.30, bias=0.02) == 0.0
    assert resolution(100, 4) == pytest.approx(0.005)


def test_nan_is_never_hidden():
    assert np.isnan(deviation(np.nan, 0.01, 0.3))
    assert np.isnan(deviation(0.3, 0.01, np.nan))


def test_max_deviation_over_errors_and_points():
    sim = Result({"lam": [0.1, 1.0]}, {"e_gen": [0.30, 0.25], "e_gen_sem": [0.01, 0.01],
                                        "e_mem": [0.0, 0.10], "e_mem_sem": [0.0, 0.02]})
    theory = Result({"lam": [0.1, 1.0]}, {"e_gen": [0.29, 0.25], "e_mem": [0.0, 0.16]})
    assert max_deviation(sim, theory) == pytest.approx(3.0)
    assert max_deviation(sim, theory, keys=("e_gen",)) == pytest.approx(1.0)


@pytest.mark.parametrize("kw, err", [({"floor": 0.0}, ValueError), ({"floor": None}, TypeError),
                                     ({"bias": -1.0}, ValueError)])
def test_bad_parameters(kw, err):
    with pytest.raises(err, match=f"'{next(iter(kw))}' parameter"):
        deviation(0.3, 0.01, 0.3, **kw)


def test_unconverged_points_are_not_compared():
    sim = Result({"lam": [0.1, 1.0]}, {"e_gen": [0.30, 0.25], "e_gen_sem": [0.01, 0.01]})
    theory = Result({"lam": [0.1, 1.0]}, {"e_gen": [0.30, 0.25]}, converged=[True, False])
    assert np.isnan(max_deviation(sim, theory, keys=("e_gen",)))
