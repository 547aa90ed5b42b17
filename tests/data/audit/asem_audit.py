#!/usr/bin/python3
"""asem_audit.py -- the statistics of `threatscore audit`, computed with plain
numpy from COINr's ASEM tables, as an independent check of engine/audit*.c.

    /usr/bin/python3 tests/data/audit/asem_audit.py > tests/data/audit/asem_expected.csv

Reads tests/data/coinr-asem/asem_iData.csv and asem_iMeta.csv and nothing of
threatscore's: it builds the index as the scenario written by `threatscore
import coinr` scores it (COINr's defaults) -- COINr's outlier treatment of
each raw indicator (|skew| >= 2 and kurtosis >= 3.5, bias-adjusted sample
skew and excess kurtosis: winsorise one step at a time towards the side of
the skew, every point tied at the extreme taking the next value in, while
the latest high set plus the latest low set is below 5; if the rule still
fails, log(x - min + 0.01 (max - min)) of the original values), Direction
-1 negating, min-max onto 0-100, arithmetic means up the tree skipping
missing values with the weights rescaled -- then audits it:

  every node: n, missing share, min, max, mean, sd (n - 1), skew, kurtosis,
    unique share, outlier (|skew| > 2 and kurtosis > 3.5, as get_stats);
  every aggregate with two or more children: Cronbach's alpha and the first
    principal component of the correlation matrix (share of the eigenvalue
    sum, eigenvector signed to a positive sum, or a positive first non-zero
    component when the sum is zero within 1e-12) over complete cases;
  every child of such an aggregate: Pearson and Spearman (average ranks)
    with its parent and with each later sibling, its loading, and the
    aggregate at the parent's depth (not the parent) with the largest r over
    at least as many pairs as with the parent;
  every indicator: its nominal effective weight at the index, r with the
    index, r^2 (the correlation ratio's linear special case) and r^2 over
    the sum of all r^2;
  the index against a reference series, the GDP denominator of iData
    (the C test writes it into the scenario's `references`).

The audit is not pooled (ASEM has one year), so every observation is a
unit and the rule that a pooled correlation needs 3 units does not arise.
Flags follow the rules of engine/audit.h. Output: the long CSV
node,statistic,with,value,n,flag with values written by repr (they read
back as the same doubles).
"""
import csv
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "coinr-asem")

FLAGS = ["outlier", "collinear", "negative", "closer_to_other", "weak", "constant", "too_few",
         "influence_high", "influence_low", "carried", "disagrees", "small_n"]
COLLINEAR, NEGATIVE, WEAK, FACTOR = 0.9, -0.4, 0.3, 2.0


def read(name):
    with open(os.path.join(DATA, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def num(s):
    return math.nan if s in ("", "NA") else float(s)


# ---- the tree and the data ------------------------------------------------
meta = [m for m in read("asem_iMeta.csv") if m["Type"] in ("Indicator", "Aggregate")]
rows = read("asem_iData.csv")
N = len(rows)
codes = [m["iCode"] for m in meta]
parent = {m["iCode"]: (None if m["Parent"] in ("", "NA") else m["Parent"]) for m in meta}
weight = {m["iCode"]: (1.0 if m["Weight"] in ("", "NA") else float(m["Weight"])) for m in meta}
indicator = {m["iCode"]: m["Type"] == "Indicator" for m in meta}
children = {c: [d for d in codes if parent[d] == c] for c in codes}   # iMeta order
root = [c for c in codes if parent[c] is None][0]


def depth(c):
    return 0 if parent[c] is None else 1 + depth(parent[c])


def skew_kurt(x):
    """Bias-adjusted skew (G1) and excess kurtosis (G2) of the present values."""
    x = x[~np.isnan(x)]
    m = len(x)
    d = x - x.mean()
    m2, m3, m4 = (d ** 2).mean(), (d ** 3).mean(), (d ** 4).mean()
    sk = m3 / m2 ** 1.5 * math.sqrt(m * (m - 1)) / (m - 2) if m >= 3 and m2 > 0 else math.nan
    ku = ((m + 1) * (m4 / m2 ** 2 - 3) + 6) * (m - 1) / ((m - 2) * (m - 3)) if m >= 4 and m2 > 0 else math.nan
    return sk, ku


def fails(x):
    sk, ku = skew_kurt(x)
    return not math.isnan(sk) and not math.isnan(ku) and abs(sk) >= 2 and ku >= 3.5


def treat(x):
    orig = x.copy()
    if not fails(x):
        return x
    x = x.copy()
    high_set = low_set = 0
    while fails(x) and high_set + low_set < 5:
        sk, _ = skew_kurt(x)
        present = x[~np.isnan(x)]
        if sk >= 0:
            ext = present.max()
            rest = present[present != ext]
            if len(rest) == 0:
                break
            moved = x == ext
            x[moved] = rest.max()
            high_set = int(moved.sum())
        else:
            ext = present.min()
            rest = present[present != ext]
            if len(rest) == 0:
                break
            moved = x == ext
            x[moved] = rest.min()
            low_set = int(moved.sum())
    if fails(x):
        lo, hi = np.nanmin(orig), np.nanmax(orig)
        x = np.log(orig - lo + 0.01 * (hi - lo))
    return x


score = {}
direction = {m["iCode"]: float(m["Direction"]) for m in meta if m["Type"] == "Indicator"}
for c in codes:
    if indicator[c]:
        x = treat(np.array([num(r[c]) for r in rows]))
        y = direction[c] * x
        score[c] = (y - np.nanmin(y)) / (np.nanmax(y) - np.nanmin(y)) * 100


def aggregate(c):
    if c in score:
        return score[c]
    kids = children[c]
    vals = np.array([aggregate(k) for k in kids])
    w = np.array([weight[k] for k in kids])[:, None] * ~np.isnan(vals)
    with np.errstate(invalid="ignore"):
        score[c] = np.nansum(vals * w, axis=0) / w.sum(axis=0)
    return score[c]


aggregate(root)
gdp = np.array([num(r["GDP"]) for r in rows])


# ---- statistics -----------------------------------------------------------
def pairs(x, y):
    ok = ~np.isnan(x) & ~np.isnan(y)
    return x[ok], y[ok]


def pearson(x, y):
    a, b = pairs(x, y)
    if len(a) < 3:
        return math.nan, len(a), False
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan, len(a), True
    return float(np.corrcoef(a, b)[0, 1]), len(a), False


def average_ranks(v):
    order = np.argsort(v, kind="mergesort")
    ranks = np.empty(len(v))
    sv = v[order]
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and sv[j + 1] == sv[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x, y):
    a, b = pairs(x, y)
    if len(a) < 3:
        return math.nan, len(a), False
    return pearson(average_ranks(a), average_ranks(b))


def complete(cols):
    m = np.array(cols)
    return m[:, ~np.isnan(m).any(axis=0)]


def cronbach(cols):
    m = complete(cols)
    k, n = m.shape
    if n < 3:
        return math.nan, n, False
    total = m.sum(axis=0).var(ddof=1)
    if total == 0:
        return math.nan, n, True
    return k / (k - 1) * (1 - m.var(axis=1, ddof=1).sum() / total), n, False


def pca_first(cols):
    m = complete(cols)
    k, n = m.shape
    if n < 3:
        return math.nan, [math.nan] * k, n, False
    if (m.std(axis=1) == 0).any():
        return math.nan, [math.nan] * k, n, True
    w, v = np.linalg.eigh(np.corrcoef(m))
    first = v[:, -1]
    total = first.sum()
    if abs(total) <= 1e-12:
        total = first[np.nonzero(first)[0][0]]
    if total < 0:
        first = -first
    return w[-1] / w.sum(), list(first), n, False


out = []


def row(node, stat, with_, value, n, flags=()):
    flags = set(flags)
    if n < 10:
        flags.add("small_n")
    out.append((node, stat, with_, value, n, ";".join(f for f in FLAGS if f in flags)))


def undefined(value, n, constant, least):
    if not math.isnan(value):
        return []
    return ["too_few"] if n < least else ["constant"] if constant else []


def preorder(c):
    yield c
    for k in children[c]:
        yield from preorder(k)


def eff_weight(c):
    w = 1.0
    while parent[c] is not None:
        p = parent[c]
        w *= weight[c] / sum(weight[k] for k in children[p])
        c = p
    return w


loading = {}
for c in preorder(root):
    x = score[c]
    present = x[~np.isnan(x)]
    n = len(present)
    sk, ku = skew_kurt(x)
    const = n > 1 and present.std() == 0
    row(c, "n", "", float(n), n)
    row(c, "missing", "", (N - n) / N, N)
    row(c, "min", "", present.min(), n)
    row(c, "max", "", present.max(), n)
    row(c, "mean", "", present.mean(), n)
    row(c, "sd", "", present.std(ddof=1), n)
    row(c, "skew", "", sk, n, undefined(sk, n, const, 3))
    row(c, "kurtosis", "", ku, n, undefined(ku, n, const, 4))
    row(c, "unique", "", len(np.unique(present)) / n, n)
    if math.isnan(sk) or math.isnan(ku):
        row(c, "outlier", "", math.nan, n, undefined(math.nan, n, const, 4))
    else:
        o = abs(sk) > 2 and ku > 3.5
        row(c, "outlier", "", 1.0 if o else 0.0, n, ["outlier"] if o else [])
    kids = children[c]
    if len(kids) >= 2:
        cols = [score[k] for k in kids]
        a, n, const = cronbach(cols)
        row(c, "alpha", "", a, n, undefined(a, n, const, 3))
        share, load, n, const = pca_first(cols)
        row(c, "pca1", "", share, n, undefined(share, n, const, 3))
        for k, l in zip(kids, load):
            loading[k] = (l, n, undefined(l, n, const, 3))
    p = parent[c]
    if p is not None and len(children[p]) >= 2:
        r, n, const = pearson(x, score[p])
        flags = undefined(r, n, const, 3) + (["negative"] if r < 0 else []) + (["weak"] if abs(r) < WEAK else [])
        row(c, "r_parent", p, r, n, flags)
        rho, n2, const2 = spearman(x, score[p])
        row(c, "rho_parent", p, rho, n2, undefined(rho, n2, const2, 3))
        l, n2, flags2 = loading[c]
        row(c, "loading", p, l, n2, flags2)
        sibs = children[p]
        for s in sibs[sibs.index(c) + 1:]:
            rs, ns, cs = pearson(x, score[s])
            f = undefined(rs, ns, cs, 3) + (["collinear"] if abs(rs) > COLLINEAR else []) + \
                (["negative"] if rs < NEGATIVE else [])
            row(c, "r", s, rs, ns, f)
            rho, n2, cs2 = spearman(x, score[s])
            row(c, "rho", s, rho, n2, undefined(rho, n2, cs2, 3))
        best = None
        for q in codes:
            if q == p or indicator[q] or depth(q) != depth(p):
                continue
            rq, nq, _ = pearson(x, score[q])
            if not math.isnan(rq) and nq >= n and (best is None or rq > best[1]):
                best = (q, rq, nq)
        if best:
            row(c, "r_other", best[0], best[1], best[2],
                ["closer_to_other"] if not math.isnan(r) and best[1] > r else [])

y = score[root]
inds = [c for c in preorder(root) if indicator[c]]
corr = {c: pearson(score[c], y) for c in inds}
total = sum(r * r for r, _, _ in corr.values() if not math.isnan(r))
for c in inds:
    r, n, const = corr[c]
    w = eff_weight(c)
    share = r * r / total
    f = []
    if w > 0 and not math.isnan(share):
        f += ["influence_high"] if share > FACTOR * w else []
        f += ["influence_low"] if share < w / FACTOR else []
    u = undefined(r, n, const, 3)
    row(c, "eff_weight", root, w, n)
    row(c, "r_index", root, r, n, u + (["negative"] if r < 0 else []))
    row(c, "influence", root, r * r, n, u)
    row(c, "influence_share", root, share, n, u + f)

rho, n, const = spearman(y, gdp)
row(root, "rho_ref", "gdp", rho, n, undefined(rho, n, const, 3) + (["disagrees"] if rho < 0 else []))
r, n, const = pearson(y, gdp)
row(root, "r_ref", "gdp", r, n, undefined(r, n, const, 3) + (["disagrees"] if r < 0 else []))

w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(["node", "statistic", "with", "value", "n", "flag"])
for node, stat, with_, value, n, flag in out:
    w.writerow([node, stat, with_, "" if math.isnan(value) else repr(float(value)), n, flag])
