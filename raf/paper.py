"""Values and formulas printed in the paper, to set the book's numbers beside (arXiv:2603.25579).

One job: what the paper prints, so that a chapter or a test compares with it instead of copying
numbers by hand. Nothing here is computed; :mod:`raf.angle_sweeps` and :mod:`raf.kernels` compute
the counterparts.

* :data:`PAPER_FIG3_TABLE` -- the table under the paper's Fig. 3 (rows
  :data:`PAPER_FIG3_ALPHAS` at :data:`PAPER_FIG3_EPS`, columns :data:`FIG3_COLUMNS`, which
  :func:`raf.angle_sweeps.fig3_table` returns as the outputs :data:`FIG3_OUTPUTS`);
* :data:`TABLE1` -- the kernels of the paper's Table 1 with their ``k(t)`` and coefficients as
  printed; :func:`kernel_table` adds the angle each realises (paper App. D.1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["PAPER_FIG3_ALPHAS", "PAPER_FIG3_EPS", "PAPER_FIG3_TABLE", "FIG3_COLUMNS",
           "FIG3_OUTPUTS", "TABLE1", "kernel_table"]

#: Sample complexities and fraction of facts of the paper's Fig. 3.
PAPER_FIG3_ALPHAS = (2.0, 4.0, 10.0, 20.0)
PAPER_FIG3_EPS = 0.2
#: Columns of the table under the paper's Fig. 3.
FIG3_COLUMNS = (
    "E_gen^BO",
    "KRR, theta*, lambda->0",
    "SVM best theta, lambda_opt",
    "SVM best theta, lambda->0",
)
#: The outputs of :func:`raf.angle_sweeps.fig3_table` holding those columns, in order.
FIG3_OUTPUTS = ("e_gen_bo", "e_gen_krr", "e_gen_svm_opt", "e_gen_svm_0")
#: The values printed in the paper (rows: ``PAPER_FIG3_ALPHAS``; columns: ``FIG3_COLUMNS``).
PAPER_FIG3_TABLE = np.array([
    [0.2430, 0.2479, 0.2445, 0.2477],
    [0.1702, 0.1864, 0.1763, 0.1858],
    [0.0853, 0.1208, 0.1009, 0.1196],
    [0.0449, 0.0858, 0.0669, 0.0846],
])

#: The paper's Table 1 in plain Unicode (it goes into Markdown tables): display name, key in
#: :data:`raf.kernels.ACTIVATION_KERNELS` or :data:`raf.kernels.FAMILIES`, ``k(t)``,
#: ``mu1^2``, ``mustar^2``.
TABLE1 = (
    ("Linear (perceptron)", "linear", "t", "1", "0"),
    ("Arc-sine (sign)", "sign", "(2/π) arcsin t", "2/π", "1 − 2/π"),
    ("Arc-sine (erf)", "erf", "(2/π) arcsin(2t/3)", "4/(3π)", "(2/π) arcsin(2/3) − 4/(3π)"),
    ("ReLU (arc-cosine, centred)", "relu", "[√(1−t²) + t(π − arccos t) − 1]/(2π)", "1/4",
     "1/4 − 1/(2π)"),
    ("Polynomial (cubic)", "polynomial", "(c + t)³", "3c²", "(1+c)³ − c³ − 3c²"),
    ("Exponential", "exponential", "exp(t/s)", "1/s", "exp(1/s) − 1 − 1/s"),
    ("Spherical Gaussian (RBF)", "rbf", "exp(−2γ(1 − t))", "2γ exp(−2γ)",
     "1 − exp(−2γ) − 2γ exp(−2γ)"),
    ("Geometric", "geometric", "1/(1 − a t)", "a", "a²/(1 − a)"),
    ("Truncated quadratic", "quadratic", "cos²θ t + sin²θ t²", "cos²θ", "sin²θ"),
)


def kernel_table(eps):
    """Rows of the paper's Table 1 with the angle each kernel realises (paper App. D.1).

    Fixed kernels (activations) get their angle ``theta``; one-parameter families get the
    parameter at which their angle is ``theta*(eps)`` (paper Eqs. (212)-(217)).

    Returns
    -------
    header : list of str
    rows : list of lists (name, k(t), mu1^2, mustar^2, theta in rad, parameter at theta*),
        for :func:`raf.tables.markdown_table`
    """
    from .kernels import ACTIVATION_KERNELS, FAMILIES, param_for_angle
    from .theory import theta_star

    ts = float(theta_star(eps))
    header = ["kernel", "k(t)", "μ₁²", "μ⋆²", "θ (rad)", f"parameter at θ* = {ts:.4f}"]
    rows = []
    for name, key, kf, m1, ms in TABLE1:
        if key in ACTIVATION_KERNELS:
            rows.append([name, kf, m1, ms, float(ACTIVATION_KERNELS[key].angle), "—"])
        else:
            fam = FAMILIES[key]
            p = float(param_for_angle(fam, ts))
            rows.append([name, kf, m1, ms, "(0, π/2)", f"{fam.param_name} = {p:.4f}"])
    return header, rows
