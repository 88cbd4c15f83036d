"""Exact high-dimensional theory of the RAF model (THEORY §4–6).

- :func:`bayes_optimal`: Bayes-optimal generalisation error (§4);
- :func:`erm`: state equations of ERM for the linear model, kernels and random
  features, square, hinge and logistic losses, any ``lambda`` in ``[0, inf]`` (§5, §6), and
  any convex loss given as a :class:`ConvexLoss` (``lambda > 0``);
- closed forms of the square loss: :func:`lambda_opt_square`, :func:`theta_star`,
  :func:`large_alpha_coefficient`, :func:`square_large_lambda` (§5);
- :func:`alpha_c`: separability threshold of the ridgeless hinge perceptron (§5);
- :func:`optimal_lambda`: the ridge that minimises ``E_gen`` (numerical for hinge).

Every computation returns a :class:`raf.result.Result`.
"""

from .bayes import bayes_optimal
from .channels import LOSSES
from .erm import erm
from .generic import ConvexLoss
from .optimize import optimal_lambda
from .square import (
    lambda_opt_square,
    large_alpha_coefficient,
    square_large_lambda,
    theta_star,
)
from .thresholds import alpha_c, alpha_interpolation

__all__ = [
    "ConvexLoss",
    "LOSSES",
    "alpha_c",
    "alpha_interpolation",
    "bayes_optimal",
    "erm",
    "lambda_opt_square",
    "large_alpha_coefficient",
    "optimal_lambda",
    "square_large_lambda",
    "theta_star",
]
