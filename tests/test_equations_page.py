"""The theory appendix (book/equations.md) and the API reference (book/api.md).

- every function the appendix links ({py:func}) exists and is documented on the API page, so each
  link resolves (Sphinx does not warn about an unresolved {py:func}: it would just not be a link);
- the sections that docstrings cite as "THEORY §N" exist, numbered N, with their labels;
- the page's Markdown has no TeX outside math (parsed with the same dollarmath and amsmath rules
  as MyST): no stray `$`, no TeX command in prose;
- the rationalised random-features prior that the page states (and raf.theory.priors evaluates)
  equals the Marchenko-Pastur form written with z and Delta;
- where the quick site has been built, the rendered page has math only inside math containers and
  every link to the code resolved.
"""

from __future__ import annotations

import importlib
import re

import numpy as np
import pytest
from booktools import ROOT
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from raf.theory.priors import random_features_prior

EQUATIONS = ROOT / "book" / "equations.md"
API = ROOT / "book" / "api.md"
SECTIONS = {1: "Data", 2: "Learners", 3: "Kernel coefficients", 4: "Bayes-optimal",
            5: "State equations", 6: "Random features", 7: "Finite-size", 8: "figures"}


def _targets(text):
    return re.findall(r"\{py:func\}`(?:[^`<]*<)?~?([\w.]+)>?`", text)


def _resolve(path):
    """``a.b.c`` as Sphinx reads it: the longest importable module prefix ``a.b``, then attributes.

    (``raf.theory.erm`` is the function that ``raf.theory`` exports, not the submodule.)
    """
    parts = path.split(".")
    for k in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for p in parts[k:]:
            obj = getattr(obj, p)
        return obj
    raise ImportError(path)


def _documented(api_text):
    """Names the API page documents: ``autofunction`` targets and ``automodule`` members."""
    names = set(re.findall(r"^\.\. autofunction:: ([\w.]+)\s*$", api_text, re.M))
    for mod, opts in re.findall(r"^\.\. automodule:: ([\w.]+)\s*\n((?:   :[^\n]*\n)*)", api_text, re.M):
        module = importlib.import_module(mod)
        m = re.search(r":members:(.*)", opts)
        if m is None:
            continue
        listed = [x.strip() for x in m.group(1).split(",") if x.strip()]
        public = getattr(module, "__all__", [n for n in vars(module) if not n.startswith("_")])
        names |= {f"{mod}.{n}" for n in (listed or public)}
    return names


def test_every_linked_function_exists_and_is_on_the_api_page():
    text = EQUATIONS.read_text(encoding="utf-8")
    targets = _targets(text)
    assert len(targets) >= 30, "the appendix should link the code of every section"
    documented = _documented(API.read_text(encoding="utf-8"))
    for t in targets:
        obj = _resolve(t)
        assert callable(obj), t
        assert t in documented, f"{t} is linked from equations.md but not documented in book/api.md"


def test_every_section_links_its_code():
    text = EQUATIONS.read_text(encoding="utf-8")
    chunks = re.split(r"^\(theory-s\d\)=\n", text, flags=re.M)[1:]
    assert len(chunks) == 8
    for n, chunk in enumerate(chunks[:7], start=1):  # §8 points to the reproduction map
        assert _targets(chunk) or n == 2, f"§{n} links no function"


def test_sections_cited_by_docstrings_exist():
    text = EQUATIONS.read_text(encoding="utf-8")
    for n, title in SECTIONS.items():
        assert re.search(rf"^\(theory-s{n}\)=\n## {n}\. .*{title}", text, re.M | re.I), f"§{n} {title}"
    cited = set()
    for path in (ROOT / "raf").rglob("*.py"):
        cited |= {int(n) for n in re.findall(r"THEORY §(\d+)", path.read_text(encoding="utf-8"))}
    assert cited and cited <= set(SECTIONS), sorted(cited - set(SECTIONS))


def _tokens(text):
    md = (MarkdownIt("commonmark").enable("table")
          .use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=False)
          .use(amsmath_plugin))
    return md.parse(text)


def test_no_tex_outside_math_in_the_source():
    text = EQUATIONS.read_text(encoding="utf-8")
    for name in re.findall(r"^```\{include\} (\S+)", text, re.M):  # sections kept in their own files
        text += "\n\n" + (EQUATIONS.parent / name).read_text(encoding="utf-8")
    tokens = _tokens(text)
    n_block = sum(t.type == "math_block" for t in tokens)
    assert n_block >= 30
    prose = []
    for t in tokens:
        for c in t.children or []:
            if c.type == "text":
                prose.append(c.content)
    joined = "\n".join(prose)
    assert "$" not in joined, [p for p in prose if "$" in p][:3]
    assert not re.search(r"\\[a-zA-Z]+", joined), re.findall(r".{20}\\[a-zA-Z]+.{10}", joined)[:3]
    # display math stands in its own block, never inside a paragraph
    for t in tokens:
        if t.type == "inline":
            assert "$$" not in t.content
    assert "TODO" not in text and "FIXME" not in text


def test_rationalised_random_features_prior_equals_marchenko_pastur_form():
    rng = np.random.default_rng(3)
    for _ in range(20):
        M, Q, U = rng.uniform(0.05, 3.0, 3)
        mu1, ms = rng.uniform(0.1, 1.0, 2)
        kappa = rng.choice([0.3, 0.8, 1.0, 1.7, 6.0])
        lam = rng.uniform(0.01, 5.0)
        ik = 1.0 / kappa
        Ms, Qs, Us = mu1 * kappa * M, mu1**2 * kappa * Q, mu1**2 * kappa * U
        Qw, Uw = ms**2 * Q, ms**2 * U
        z = (lam + Uw) / Us
        D = np.sqrt((1 + ik + z) ** 2 - 4 * ik)
        Vs = (z + 1 + ik - D) / (2 * ik * Us)
        Vw = (1 - ik - z + D) / (2 * (lam + Uw))
        A = Ms**2 + Qs
        qs = (A * ((2 * z + ik + 1) * D - 2 * z**2 - 3 * (ik + 1) * z - (ik - 1) ** 2) / (2 * ik * Us**2 * D)
              - Qw * (z * D - z**2 - (ik + 1) * z) / (2 * ik * Us * (lam + Uw) * D))
        qw = (Qw * ((1 - ik) * D + (ik + 1) * z + (ik - 1) ** 2) / (2 * (lam + Uw) ** 2 * D)
              - A * (z * D - z**2 - (ik + 1) * z) / (2 * Us * (lam + Uw) * D))
        m, q, W = mu1 * Ms * Vs, mu1**2 * qs + ms**2 * qw, mu1**2 * Vs + ms**2 * Vw
        q_, s2_, W_, m_ = random_features_prior(M, Q, U, mu1=mu1, mustar=ms, kappa=kappa, lam_r=lam)
        np.testing.assert_allclose([m_, q_, W_, s2_], [m, q, W, 1.0 - m * m / q], rtol=1e-9)


def test_rendered_page(quick_site):
    html = quick_site / "book" / "equations.html"
    import bs4
    soup = bs4.BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
    main = soup.find("main") or soup
    assert len(main.select(".math")) >= 100
    unresolved = [c.get_text() for c in main.select("code.xref") if c.find_parent("a") is None]
    assert not unresolved, unresolved
    for t in main.select(".math, script, style, pre, code"):
        t.decompose()
    prose = main.get_text(" ")
    assert not re.search(r"\$|\\frac|\\[a-zA-Z]+\{", prose), re.findall(r".{30}(?:\$|\\frac).{10}", prose)[:3]
