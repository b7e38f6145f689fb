"""Count-regression engine for :mod:`lupusstats.rates`, vectorised over trials.

One engine fits Poisson-family log-linear rate models with a ``log(exposure)``
offset to many data sets ("trials") at once: arrays of shape
``(n_trials, n_patients)`` and a design matrix shared by all trials
(``(n_patients, p)``) or one per trial (``(n_trials, n_patients, p)``).
:func:`lupusstats.compare_rates` calls it with one trial, and
:func:`lupusstats.compare_rates_batch` with thousands, so both give the same
numbers.

Why not statsmodels?  ``statsmodels`` fits one data set at a time.  Its
``NegativeBinomial`` discrete model estimates ``alpha`` jointly and reports
standard errors from the joint observed Hessian, which is *not* what
``MASS::glm.nb`` reports; its GLM ``NegativeBinomial`` family needs ``alpha``
fixed.  A loop of either over 10,000 trials takes minutes; this engine takes
seconds (see ``benchmarks/bench_rates.py``).  The tests check the engine against
R (``MASS::glm.nb``, ``glm``) and against statsmodels.

NB2 model
    ``y ~ NB(mu, alpha)`` with ``Var y = mu + alpha * mu**2`` (R's ``theta = 1/alpha``)
    and ``log mu = log(exposure) + X @ beta``.  The log-likelihood of one patient,
    written so that it is smooth down to the Poisson limit ``alpha = 0``, is::

        sum_{k<y} log(1 + alpha*k) - lgamma(y+1) + y*log(mu) - (y + 1/alpha)*log1p(alpha*mu)

    The first term (and its derivatives in ``alpha``) depends on ``y`` only
    through a count-of-counts table ``C[k] = #{patients with y > k}``, so the
    digamma differences ``digamma(y + 1/alpha) - digamma(1/alpha)`` of the usual
    score become one short sum over ``k`` per trial rather than special functions
    on every patient.

Algorithm
    1. Poisson fit (Newton with step halving).
    2. Score test of ``alpha = 0``: the derivative of the profile log-likelihood at
       the boundary is ``sum((y - mu)**2 - y) / 2`` at the Poisson fit.  If it is
       <= 0 the maximum is on the boundary: ``alpha = 0`` and the Poisson fit is
       the NB fit (R's ``glm.nb`` instead wanders towards ``theta = inf`` and
       warns).  Such trials are flagged ``boundary``.
    3. Otherwise a safeguarded Newton iteration on the profile score of ``alpha``
       (the Schur complement of the joint observed Hessian gives the profile
       curvature), keeping a bracket ``[lo, hi]`` on the root and bisecting (in
       log scale) whenever the Newton step leaves it; between ``alpha`` steps two
       Newton steps for ``beta`` at fixed ``alpha`` (the log-likelihood is concave
       in ``beta``).
    4. Covariance as ``MASS::glm.nb`` reports it: the inverse expected
       information for ``beta`` at the ML ``alpha``, ``(X' W X)^-1`` with
       ``W = mu / (1 + alpha*mu)`` -- the IRLS covariance at fixed theta, not the
       joint covariance with ``alpha``.

Arms with zero events
    An arm (an indicator column flagged in ``arm_cols``) with no events has
    MLE rate 0, log rate ratio ``-inf``.  Its patients contribute nothing to the
    likelihood in that limit, so they are excluded from the fit and the column is
    frozen; the caller reports ``log_rate_ratio = -inf`` (or ``+inf`` when the
    reference arm is the empty one), ``se = inf``, ``pvalue = 1``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

_TOL = 1e-8  # on Newton steps: with quadratic convergence the error left is ~1e-16
_MAX_OUTER = 200
_MAX_INNER = 100
_CELLS_PER_CHUNK = 400_000  # patient-trials fitted at once (fit_rates works in blocks of trials)


@dataclasses.dataclass
class GLMFit:
    """Raw engine output (private)."""

    beta: np.ndarray  # (T, p); frozen columns hold 0
    cov: np.ndarray  # (T, p, p); inf on the diagonal of frozen columns
    alpha: np.ndarray  # (T,) NB2 dispersion (0 for Poisson models / boundary)
    scale: np.ndarray  # (T,) quasi-Poisson scale (1 otherwise)
    loglik: np.ndarray  # (T,) full log-likelihood of the fitted model (Poisson or NB)
    loglik_poisson: np.ndarray  # (T,) Poisson log-likelihood at the Poisson fit
    mu: np.ndarray  # (T, n) fitted means
    mu_poisson: np.ndarray  # (T, n) Poisson fitted means
    boundary: np.ndarray  # (T,) bool: NB dispersion on the Poisson boundary
    converged: np.ndarray  # (T,) bool
    frozen: np.ndarray  # (T, p) bool: arm columns whose arm had no events (or excluded reference)
    ref_empty: np.ndarray  # (T,) bool: the reference arm had no events
    df_resid: int


# ---------------------------------------------------------------------------
# Stable pieces of the NB2 log-likelihood in alpha


def _patch_small(x, direct, series, threshold):
    small = x < threshold
    if small.any():
        direct[small] = series(x[small])
    return direct


def _log1p_over(x: np.ndarray) -> np.ndarray:
    """log1p(x) / x, equal to 1 at x = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.log1p(x) / x
    return _patch_small(x, direct, lambda z: 1.0 - z * (0.5 - z / 3.0), 1e-6)


def _h(x: np.ndarray) -> np.ndarray:
    """(log1p(x) - x/(1+x)) / x**2, by its series for small x."""
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = (np.log1p(x) - x / (1.0 + x)) / (x * x)
    return _patch_small(x, direct, lambda z: 0.5 + z * (-2.0 / 3.0 + z * (0.75 + z * (-0.8 + z * (5.0 / 6.0)))), 1e-3)


def _g(x: np.ndarray) -> np.ndarray:
    """(x**2/(1+x)**2 - 2*(log1p(x) - x/(1+x))) / x**3, by its series for small x."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = x / (1.0 + x)
        direct = (q * q - 2.0 * (np.log1p(x) - q)) / (x * x * x)
    return _patch_small(
        x, direct, lambda z: -2.0 / 3.0 + z * (1.5 + z * (-2.4 + z * (10.0 / 3.0 + z * (-30.0 / 7.0)))), 1e-3
    )


def _h_and_g(x: np.ndarray):
    """_h(x) and _g(x) sharing one log1p (the hot spot of the alpha iteration)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = x / (1.0 + x)
        f = np.log1p(x) - q
        x2 = x * x
        h = f / x2
        g = (q * q - 2.0 * f) / (x2 * x)
    small = x < 1e-3
    if small.any():
        h[small] = _h(x[small])
        g[small] = _g(x[small])
    return h, g


def _count_table(y: np.ndarray) -> np.ndarray:
    """C[t, k] = number of patients of trial t with y > k, k = 0..K-1 (K = max y)."""
    T = y.shape[0]
    K = int(y.max()) if y.size else 0
    if K == 0:
        return np.zeros((T, 0))
    flat = (np.arange(T)[:, None] * (K + 1) + y).ravel()
    counts = np.bincount(flat, minlength=T * (K + 1)).reshape(T, K + 1)
    # patients with y > k: reverse cumulative sum over y = k+1..K
    return np.cumsum(counts[:, ::-1], axis=1)[:, ::-1][:, 1:].astype(float)


def _ksum(x: np.ndarray) -> np.ndarray:
    """Sum over the count axis k (axis 1) in order, so that a trial's sum is the same in any batch.

    The count table has as many columns as the largest count in the batch, and
    a trial with smaller counts has trailing zero columns.  numpy's pairwise
    ``sum`` groups the terms by the row length, so the padding would change the
    rounding (1e-16) with the batch a trial is fitted in; a sequential sum adds
    the zeros exactly.  With ~10-50 columns the two are equally accurate.
    """
    if x.shape[1] == 0:
        return np.zeros(x.shape[0])
    return np.cumsum(x, axis=1)[:, -1]


def _alpha_terms(alpha: np.ndarray, C: np.ndarray):
    """sum_k C_k log(1+ak), sum_k C_k k/(1+ak), -sum_k C_k k^2/(1+ak)^2, per trial."""
    if C.shape[1] == 0:
        z = np.zeros(alpha.shape)
        return z, z, z
    k = np.arange(C.shape[1], dtype=float)
    ak = alpha[:, None] * k
    return (
        _ksum(C * np.log1p(ak)),
        _ksum(C * (k / (1.0 + ak))),
        -_ksum(C * (k / (1.0 + ak)) ** 2),
    )


# ---------------------------------------------------------------------------
# Design helpers


def _xdot(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Linear predictor: X (n,p) or (T,n,p) times beta (T,p) -> (T,n)."""
    if X.ndim == 2:
        return beta @ X.T
    return np.einsum("tnp,tp->tn", X, beta)


def _mu_arms(exposure: np.ndarray, X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Fitted means of an arm-only design, exposure * exp(X beta), with exp taken per arm, not per patient."""
    codes, inverse = np.unique(X, axis=0, return_inverse=True)
    rate = np.exp(beta @ codes.T)  # (T, number of distinct rows)
    return exposure * rate[:, inverse.ravel()]


def _xt_vec(X: np.ndarray, v: np.ndarray) -> np.ndarray:
    """X' v per trial -> (T,p)."""
    if X.ndim == 2:
        return v @ X
    return np.einsum("tnp,tn->tp", X, v)


def _xt_w_x(X: np.ndarray, w: np.ndarray, XX: np.ndarray | None) -> np.ndarray:
    """X' diag(w) X per trial -> (T,p,p)."""
    if X.ndim == 2:
        p = X.shape[1]
        return (w @ XX).reshape(-1, p, p)
    return np.einsum("tn,tnp,tnq->tpq", w, X, X)


def _solve(H: np.ndarray, g: np.ndarray, frozen: np.ndarray) -> np.ndarray:
    """Solve H d = g per trial with frozen coordinates fixed (d = 0 there)."""
    if frozen.any():
        H = H.copy()
        g = np.where(frozen, 0.0, g)
        fr = frozen[:, :, None] | frozen[:, None, :]
        H[fr] = 0.0
        idx = np.arange(H.shape[1])
        diag = H[:, idx, idx]
        H[:, idx, idx] = np.where(frozen, 1.0, diag)
    return np.linalg.solve(H, g[..., None])[..., 0]


def _inverse(H: np.ndarray, frozen: np.ndarray) -> np.ndarray:
    """Inverse of H with frozen coordinates given infinite variance."""
    p = H.shape[1]
    eye = np.broadcast_to(np.eye(p), H.shape)
    if not frozen.any():
        return np.linalg.solve(H, eye)
    Hm = H.copy()
    fr = frozen[:, :, None] | frozen[:, None, :]
    Hm[fr] = 0.0
    idx = np.arange(p)
    Hm[:, idx, idx] = np.where(frozen, 1.0, Hm[:, idx, idx])
    inv = np.linalg.solve(Hm, eye)
    inv[fr] = 0.0
    inv[:, idx, idx] = np.where(frozen, np.inf, inv[:, idx, idx])
    return inv


# ---------------------------------------------------------------------------
# Beta step at fixed alpha


def _beta_loglik(y, mu, w, alpha):
    """Part of the NB2 (alpha = 0: Poisson) log-likelihood that depends on mu."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogmu = y * np.log(mu)
    ylogmu[y == 0] = 0.0
    if not alpha.any():
        return (w * (ylogmu - mu)).sum(axis=1)
    x = alpha[:, None] * mu
    return (w * (ylogmu - y * np.log1p(x) - mu * _log1p_over(x))).sum(axis=1)


def _newton_beta(y, offset, X, XX, w, alpha, beta, frozen, *, steps, tol=_TOL):
    """Newton steps (observed information, step halving) for beta at fixed alpha."""
    T = y.shape[0]
    done = np.zeros(T, dtype=bool)
    mu = np.exp(offset + _xdot(X, beta))
    ll = _beta_loglik(y, mu, w, alpha)
    for _ in range(steps):
        a = alpha[:, None]
        denom = 1.0 + a * mu
        grad = _xt_vec(X, w * (y - mu) / denom)
        hess = _xt_w_x(X, w * mu * (1.0 + a * y) / denom**2, XX)
        step = _solve(hess, grad, frozen)
        step[done] = 0.0
        cand = beta + step
        mu_c = np.exp(offset + _xdot(X, cand))
        ll_c = _beta_loglik(y, mu_c, w, alpha)
        bad = ~(ll_c >= ll - 1e-12 * np.abs(ll)) & ~done
        shrink = 1.0
        while bad.any() and shrink > 1e-6:
            shrink *= 0.5
            cand[bad] = beta[bad] + shrink * step[bad]
            mu_c[bad] = np.exp(offset[bad] + _xdot(X if X.ndim == 2 else X[bad], cand[bad]))
            ll_c[bad] = _beta_loglik(y[bad], mu_c[bad], w[bad], alpha[bad])
            bad = bad & ~(ll_c >= ll - 1e-12 * np.abs(ll))
        beta, mu, ll = cand, mu_c, ll_c
        done = done | (np.abs(step).max(axis=1) < tol)
        if done.all():
            break
    return beta, mu, done


# ---------------------------------------------------------------------------
# The fit


def fit_rates(y, exposure, X, *, model="negbin", arm_cols=(), tol=_TOL, loglik=True, fast=True, keep_mu=True) -> GLMFit:
    """Fit a log-linear rate model with offset log(exposure) to every trial.

    Parameters
    ----------
    y : (T, n) int array of counts
    exposure : (T, n) positive floats
    X : (n, p) or (T, n, p) design; column 0 the intercept (the reference arm)
    model : "negbin", "poisson", "quasipoisson" or "robust"
    arm_cols : indices of the 0/1 indicator columns of the non-reference arms.
    keep_mu : False: leave ``mu`` and ``mu_poisson`` empty, shape (T, 0) (callers
        that need only the coefficients save their memory).
    fast : use the group fast path for arm-only designs (False: the general path
        only, which the tests compare it with).
    """
    y = np.asarray(y)
    T, n = y.shape
    chunk = max(1, _CELLS_PER_CHUNK // max(n, 1))
    if chunk < T:
        # in blocks of trials: the temporaries stay small (memory flat in T, and faster)
        parts = [
            _fit_rates(
                y[s : s + chunk],
                exposure[s : s + chunk],
                X if X.ndim == 2 else X[s : s + chunk],
                model=model,
                arm_cols=arm_cols,
                tol=tol,
                loglik=loglik,
                fast=fast,
                keep_mu=keep_mu,
            )
            for s in range(0, T, chunk)
        ]
        fields = {
            f.name: np.concatenate([getattr(q, f.name) for q in parts])
            for f in dataclasses.fields(GLMFit)
            if f.name != "df_resid"
        }
        return GLMFit(**fields, df_resid=parts[0].df_resid)
    return _fit_rates(
        y, exposure, X, model=model, arm_cols=arm_cols, tol=tol, loglik=loglik, fast=fast, keep_mu=keep_mu
    )


def _fit_rates(y, exposure, X, *, model, arm_cols, tol, loglik, fast, keep_mu) -> GLMFit:
    yf = y.astype(float)
    T, n = y.shape
    p = X.shape[-1]
    arms_only = X.shape[-1] == 1 + len(arm_cols) and X.ndim == 2
    # arm-only designs never need log(exposure): mu = exposure * rate of the arm
    offset = None if arms_only else np.log(exposure)
    XX = None
    if X.ndim == 2:
        XX = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)

    # Arms with zero events: exclude their patients, freeze their column.
    arm_cols = list(arm_cols)
    frozen = np.zeros((T, p), dtype=bool)
    w = np.ones((T, n))
    if arm_cols:
        A = X[..., arm_cols]  # (n,k) or (T,n,k)
        in_ref = A.sum(axis=-1) == 0
        events_arm = _xt_vec(A, yf) if A.ndim == 2 else np.einsum("tnk,tn->tk", A, yf)
        events_ref = (yf * in_ref).sum(axis=1)
        empty_arm = events_arm == 0
        ref_empty = events_ref == 0
        frozen[:, arm_cols] = empty_arm
        excl = np.zeros((T, n), dtype=bool)
        for j in range(len(arm_cols)):
            member = A[..., j] > 0
            excl |= empty_arm[:, j : j + 1] & member
        excl |= ref_empty[:, None] & in_ref
        frozen[:, 0] = ref_empty
        if excl.any():
            w = np.where(excl, 0.0, 1.0)
    else:
        ref_empty = yf.sum(axis=1) == 0
    all_empty = yf.sum(axis=1) == 0
    if all_empty.any():
        frozen[all_empty] = True
        w[all_empty] = 0.0
    no_excl = not frozen.any()  # every weight is 1: skip the multiplications by w

    # Start: intercept at the pooled rate of the included patients.
    beta = np.zeros((T, p))
    zeros = np.zeros(T)
    groups: list[np.ndarray] = []
    if arms_only:
        # Design of arm indicators only: the Poisson MLE is each arm's pooled rate.
        in_ref = X[:, arm_cols].sum(axis=1) == 0
        groups = [in_ref] + [X[:, j] > 0 for j in arm_cols]
        sels = _column_groups(groups)
        log_rate = []
        for g in sels:
            yy, tt = yf[:, g].sum(axis=1), exposure[:, g].sum(axis=1)
            with np.errstate(divide="ignore"):
                log_rate.append(np.where(yy > 0, np.log(np.where(yy > 0, yy, 1.0) / tt), 0.0))
        beta = np.zeros((T, p))
        beta[:, 0] = np.where(frozen[:, 0], 0.0, log_rate[0])
        for j, lr in zip(arm_cols, log_rate[1:], strict=True):
            beta[:, j] = np.where(frozen[:, j], 0.0, np.where(frozen[:, 0], lr, lr - log_rate[0]))
        mu = _mu_arms(exposure, X, beta)
        conv_p = np.ones(T, dtype=bool)
    else:
        tot_y = (w * yf).sum(axis=1)
        tot_t = (w * exposure).sum(axis=1)
        with np.errstate(divide="ignore"):
            start = np.log(np.where(tot_y > 0, tot_y, 1.0) / np.where(tot_t > 0, tot_t, 1.0))
        beta[:, 0] = np.where(frozen[:, 0], 0.0, start)
        if ref_empty.any() and arm_cols:
            # reference excluded: arm columns act as arm intercepts
            beta[np.ix_(ref_empty, arm_cols)] = np.where(
                frozen[np.ix_(ref_empty, arm_cols)], 0.0, start[ref_empty][:, None]
            )
        beta, mu, conv_p = _newton_beta(yf, offset, X, XX, w, zeros, beta, frozen, steps=_MAX_INNER, tol=tol)
    beta_p, mu_p = beta.copy(), mu.copy()
    C = _count_table(y if no_excl else np.where(w > 0, y, 0))
    if loglik:
        with np.errstate(divide="ignore", invalid="ignore"):
            ylogmu = yf * np.log(mu_p)
        ylogmu[y == 0] = 0.0
        # sum_i lgamma(y_i + 1) = sum_k C_k log(k + 1)
        const = _ksum(C * np.log(np.arange(1, C.shape[1] + 1)))
        ll_pois = (w * (ylogmu - mu_p)).sum(axis=1) - const
    else:
        const = ll_pois = np.full(T, np.nan)
    alpha = np.zeros(T)
    scale = np.ones(T)
    converged = conv_p.copy()
    resid = yf - mu_p
    resid *= resid
    resid -= yf
    score0 = 0.5 * (resid.sum(axis=1) if no_excl else (w * resid).sum(axis=1))
    del resid
    # a score within rounding of 0 counts as the boundary (e.g. exactly equidispersed arms)
    boundary = ~(score0 > 1e-9 * np.maximum((w * yf).sum(axis=1), 1.0)) | all_empty
    ll = ll_pois.copy()

    if model == "negbin":
        active = ~boundary
        if active.any():
            idx = np.flatnonzero(active)
            if arms_only and fast:
                # every arm with events: the group fast path; the rest (and trials
                # it cannot fit to full precision) go through the general path
                rows = idx[~frozen[idx].any(axis=1)]
                if rows.size:
                    lr0 = beta_p[rows][:, [0, *arm_cols]]
                    lr0[:, 1:] += lr0[:, :1]
                    mu_r = mu_p[rows]
                    a0 = np.clip(2.0 * score0[rows] / np.maximum(np.einsum("ij,ij->i", mu_r, mu_r), 1e-300), 1e-4, 1e3)
                    lr, a, ok, mean_x = _profile_alpha_groups(yf[rows], exposure[rows], sels, C[rows], lr0, a0, tol)
                    good = ok & (mean_x >= _FAST_MIN_X)
                    gi = rows[good]
                    beta[gi, 0] = lr[good, 0]
                    beta[np.ix_(gi, arm_cols)] = lr[good, 1:] - lr[good, :1]
                    alpha[gi] = a[good]
                    converged[gi] = True
                    idx = np.setdiff1d(idx, gi, assume_unique=True)
            if idx.size:
                b, a, ok = _profile_alpha(
                    yf[idx],
                    np.log(exposure[idx]) if offset is None else offset[idx],
                    X if X.ndim == 2 else X[idx],
                    XX,
                    w[idx],
                    C[idx],
                    beta[idx],
                    mu_p[idx],
                    frozen[idx],
                    score0[idx],
                    tol,
                )
                beta[idx], alpha[idx] = b, a
                converged[idx] = ok
                zero = idx[a == 0.0]
                boundary[zero] = True
                beta[zero] = beta_p[zero]
            mu = _mu_arms(exposure, X, beta) if offset is None else np.exp(offset + _xdot(X, beta))
            if loglik:
                c1, _, _ = _alpha_terms(alpha, C)
                ll = c1 + _beta_loglik(yf, mu, w, alpha) - const
    a = alpha[:, None]
    wi = mu / (1.0 + a * mu)
    info = _xt_w_x(X, wi if no_excl else w * wi, XX)
    cov = _inverse(info, frozen)
    n_par = p
    df_resid = n - n_par
    if model == "quasipoisson":
        pearson = (w * (yf - mu) ** 2 / mu).sum(axis=1)
        scale = pearson / df_resid if df_resid > 0 else np.full(T, np.nan)
        with np.errstate(invalid="ignore"):
            cov = cov * scale[:, None, None]
        idx = np.arange(p)
        cov[:, idx, idx] = np.where(frozen, np.inf, cov[:, idx, idx])
    elif model == "robust":
        meat = _xt_w_x(X, w * (yf - mu) ** 2, XX)
        bread = cov
        finite = np.where(np.isfinite(bread), bread, 0.0)
        cov = finite @ meat @ finite
        idx = np.arange(p)
        cov[:, idx, idx] = np.where(frozen, np.inf, cov[:, idx, idx])
    if model != "negbin":
        boundary = np.zeros(T, dtype=bool) if model != "poisson" else boundary
    # excluded patients (arms without events) have fitted mean 0 at the maximum
    if not keep_mu:
        mu = mu_p = np.empty((T, 0))
    elif not no_excl:
        mu = np.where(w > 0, mu, 0.0)
        mu_p = np.where(w > 0, mu_p, 0.0)
    return GLMFit(
        beta=beta,
        cov=cov,
        alpha=alpha,
        scale=scale,
        loglik=ll,
        loglik_poisson=ll_pois,
        mu=mu,
        mu_poisson=mu_p,
        boundary=boundary & (model == "negbin"),
        converged=converged,
        frozen=frozen,
        ref_empty=ref_empty,
        df_resid=df_resid,
    )


def _profile_alpha(y, offset, X, XX, w, C, beta, mu, frozen, score0, tol):
    """Joint Newton on (beta, alpha), safeguarded in alpha by a bracket on the profile score.

    Each step solves the full Newton system through the Schur complement: with
    ``u = H_bb^-1 g_b`` and ``v = H_bb^-1 h_ab``, the profile score is
    ``S = s_a - h_ab.u`` and its curvature ``h_aa - h_ab.v``.  The sign of ``S``
    updates the bracket ``[lo, hi]``; a Newton step for alpha that leaves it is
    replaced by a bisection in log scale (or a 4-fold expansion while ``hi`` is
    infinite), and beta moves by ``-(u + v * d_alpha)``.
    """
    T = y.shape[0]
    lo = np.zeros(T)
    hi = np.full(T, np.inf)
    # moment start: sum((y-mu)^2 - y) = alpha * sum(mu^2)
    alpha = np.clip(2.0 * score0 / np.maximum((w * mu**2).sum(axis=1), 1e-300), 1e-4, 1e3)
    converged = np.zeros(T, dtype=bool)
    act = np.arange(T)
    for _ in range(_MAX_OUTER):
        Xa = X if X.ndim == 2 else X[act]
        ya, wa, fr, al = y[act], w[act], frozen[act], alpha[act]
        a = al[:, None]
        m = np.exp(offset[act] + _xdot(Xa, beta[act]))
        x = a * m
        denom = 1.0 + x
        resid = (ya - m) / denom
        g_b = np.where(fr, 0.0, _xt_vec(Xa, wa * resid))
        h_bb = -_xt_w_x(Xa, wa * m * (1.0 + a * ya) / denom**2, XX)
        h_ab = np.where(fr, 0.0, _xt_vec(Xa, -wa * m * resid / denom))
        _, s1, d1 = _alpha_terms(al, C[act])
        hx, gx = _h_and_g(x)
        m_d = m / denom
        m2 = m * m
        s_a = s1 + (wa * (m2 * hx - ya * m_d)).sum(axis=1)
        h_aa = d1 + (wa * (m2 * m * gx + ya * m_d * m_d)).sum(axis=1)
        uv = _solve_two(h_bb, g_b, h_ab, fr)
        u, v = uv[..., 0], uv[..., 1]
        score = s_a - (h_ab * u).sum(axis=1)
        curv = h_aa - (h_ab * v).sum(axis=1)
        # the bracket is updated only once beta is (nearly) on the profile, where
        # the corrected score has the sign of the true profile score
        reliable = np.abs(u).max(axis=1) < 1e-6
        up = score > 0
        lo_a = np.where(reliable & up, al, lo[act])
        hi_a = np.where(reliable & ~up, al, hi[act])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = al - score / curv
        ok = (curv < 0) & (newton >= lo_a) & (newton <= hi_a) & (newton > 0) & np.isfinite(newton)
        ok |= score == 0
        newton = np.where(score == 0, al, newton)
        with np.errstate(invalid="ignore"):
            fb_up = np.where(np.isinf(hi_a), al * 4.0, np.sqrt(al * hi_a))
            fb_down = np.where(lo_a > 0, np.sqrt(lo_a * al), al / 4.0)
        fallback = np.where(up, fb_up, fb_down)
        new = np.where(ok, newton, fallback)
        d_a = new - al
        d_b = -(u + v * d_a[:, None])
        lo[act], hi[act] = lo_a, hi_a
        beta[act] = beta[act] + d_b
        alpha[act] = new
        done = ok & (np.abs(d_a) <= tol * np.maximum(al, 1e-8)) & (np.abs(d_b).max(axis=1) <= tol)
        # profile still decreasing at a negligible alpha: the maximum is the boundary
        at_zero = (new < 1e-10) & (score <= 0)
        alpha[act[at_zero]] = 0.0
        done |= at_zero
        converged[act[done]] = True
        act = act[~done]
        if act.size == 0:
            break
    return beta, alpha, converged


def _solve_two(H, g1, g2, frozen):
    """Solve H [u v] = [g1 g2] per trial (frozen coordinates fixed at 0)."""
    if frozen.any():
        H = H.copy()
        fr = frozen[:, :, None] | frozen[:, None, :]
        H[fr] = 0.0
        idx = np.arange(H.shape[1])
        H[:, idx, idx] = np.where(frozen, 1.0, H[:, idx, idx])
    rhs = np.stack([np.where(frozen, 0.0, g1), np.where(frozen, 0.0, g2)], axis=-1)
    return np.linalg.solve(H, rhs)


# ---------------------------------------------------------------------------
# Fast path: designs of arm indicators only (the two-group comparison of
# compare_rates_batch), for trials where every arm has events.
#
# With groups g and patients i in g, mu_i = lam_g * t_i, and the information for
# the group log rates is diagonal, so the Newton system needs no linear algebra.
# Every per-patient sum of the alpha iteration is a weighted sum of inv = 1/(1+x)
# or inv**2 (x = alpha * mu) with weights fixed in advance (y, t, t*y, t**2,
# y*t**2), plus sum(log1p(x)): one log1p and one reciprocal per patient and
# iteration.  The digamma/lgamma part still comes from the count-of-counts table.
# The sums lose relative precision ~ 1e-16 / (alpha * mean mu) in the alpha
# score, so trials whose fitted alpha * mean(mu) is below _FAST_MIN_X (or that
# did not converge) are refitted by the general path.

_FAST_MIN_X = 1e-3


def _column_groups(masks):
    """Each boolean column mask as a slice when its columns are contiguous (a view), else an index array."""
    out: list[slice | np.ndarray] = []
    for m in masks:
        cols = np.flatnonzero(m)
        if cols.size and cols[-1] - cols[0] + 1 == cols.size:
            out.append(slice(int(cols[0]), int(cols[-1]) + 1))
        else:
            out.append(cols)
    return out


def _profile_alpha_groups(y, exposure, groups, C, lograte, alpha, tol):
    """NB2 fit of per-group rates and alpha for every trial; the safeguarded Newton of _profile_alpha.

    y, exposure : (T, n); groups : column selectors (slice or index array) per group;
    lograte : (T, G) start (the Poisson MLE); alpha : (T,) start.  Returns
    (lograte, alpha, converged, mean_x) where mean_x = alpha * mean(mu) per trial.
    """
    T, G = lograte.shape
    lograte = lograte.copy()
    alpha = alpha.copy()
    lo = np.zeros(T)
    hi = np.full(T, np.inf)
    converged = np.zeros(T, dtype=bool)
    kk = np.arange(C.shape[1], dtype=float)

    def weights(rows):
        w1, w2, tt = [], [], []
        for sel in groups:
            yy = y[rows][:, sel] if rows is not None else y[:, sel]
            t = exposure[rows][:, sel] if rows is not None else exposure[:, sel]
            ty = t * yy
            t2 = t * t
            w1.append((yy, t, ty))
            w2.append((t, ty, t2, t2 * yy))
            tt.append(t)
        return w1, w2, tt

    rows = np.arange(T)  # trials held in the weight arrays
    W1, W2, TT = weights(None)
    t_sum = np.column_stack([t.sum(axis=1) for t in TT])  # (T, G)
    live = np.ones(T, dtype=bool)  # over `rows`
    for _ in range(_MAX_OUTER):
        if live.sum() < 0.75 * rows.size:  # compact the arrays to the trials still iterating
            keep = np.flatnonzero(live)
            W1 = [tuple(a[keep] for a in w) for w in W1]
            W2 = [tuple(a[keep] for a in w) for w in W2]
            TT = [t[keep] for t in TT]
            rows, live = rows[keep], live[keep]
        al = alpha[rows]
        lam = np.exp(lograte[rows])
        n_r = rows.size
        g_b = np.empty((n_r, G))
        h_bb = np.empty((n_r, G))
        h_ab = np.empty((n_r, G))
        f_sum = np.zeros(n_r)  # sum (log1p(x) - x/(1+x))
        ym = np.zeros(n_r)  # sum y m/(1+x)
        m2 = np.zeros(n_r)  # sum m^2/(1+x)^2
        ym2 = np.zeros(n_r)  # sum y m^2/(1+x)^2
        for g in range(G):
            lg = lam[:, g]
            x = (al * lg)[:, None] * TT[g]
            s_log = np.log1p(x).sum(axis=1)
            x += 1.0
            inv = np.reciprocal(x, out=x)
            s_y, s_t, s_ty = (np.einsum("ij,ij->i", a, inv) for a in W1[g])
            np.multiply(inv, inv, out=inv)
            s_t2, s_ty2, s_tt2, s_ytt2 = (np.einsum("ij,ij->i", a, inv) for a in W2[g])
            g_b[:, g] = s_y - lg * s_t
            h_bb[:, g] = -lg * (s_t2 + al * s_ty2)
            h_ab[:, g] = lg * (lg * s_tt2 - s_ty2)
            f_sum += s_log - al * lg * s_t
            ym += lg * s_ty
            m2 += lg * lg * s_tt2
            ym2 += lg * lg * s_ytt2
        Cr = C[rows]
        ak = 1.0 / (1.0 + al[:, None] * kk)
        kak = kk * ak
        s1 = _ksum(Cr * kak)
        d1 = -_ksum(Cr * kak * kak)
        a2 = al * al
        s_a = s1 + f_sum / a2 - ym
        h_aa = d1 + m2 / al - 2.0 * f_sum / (a2 * al) + ym2
        u = g_b / h_bb
        v = h_ab / h_bb
        score = s_a - (h_ab * u).sum(axis=1)
        curv = h_aa - (h_ab * v).sum(axis=1)
        reliable = np.abs(u).max(axis=1) < 1e-6
        up = score > 0
        lo_a = np.where(reliable & up, al, lo[rows])
        hi_a = np.where(reliable & ~up, al, hi[rows])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = al - score / curv
        ok = (curv < 0) & (newton >= lo_a) & (newton <= hi_a) & (newton > 0) & np.isfinite(newton)
        ok |= score == 0
        newton = np.where(score == 0, al, newton)
        with np.errstate(invalid="ignore"):
            fb_up = np.where(np.isinf(hi_a), al * 4.0, np.sqrt(al * hi_a))
            fb_down = np.where(lo_a > 0, np.sqrt(lo_a * al), al / 4.0)
        new = np.where(ok, newton, np.where(up, fb_up, fb_down))
        d_a = new - al
        d_b = -(u + v * d_a[:, None])
        lr = rows[live]
        lo[lr], hi[lr] = lo_a[live], hi_a[live]
        lograte[lr] += d_b[live]
        alpha[lr] = new[live]
        done = ok & (np.abs(d_a) <= tol * np.maximum(al, 1e-8)) & (np.abs(d_b).max(axis=1) <= tol)
        at_zero = (new < 1e-10) & (score <= 0)
        alpha[rows[live & at_zero]] = 0.0
        done |= at_zero
        converged[rows[live & done]] = True
        # heading for alpha * mean(mu) < _FAST_MIN_X: leave it to the general path
        small = new * (lam * t_sum[rows]).sum(axis=1) < 0.5 * _FAST_MIN_X * y.shape[1]
        live &= ~(done | small)
        if not live.any():
            break
    # alpha * mean(mu), the scale of x that sets the precision of the sums
    lam = np.exp(lograte)
    tot_mu = np.zeros(T)
    for g, sel in enumerate(groups):
        tot_mu += lam[:, g] * exposure[:, sel].sum(axis=1)
    mean_x = alpha * tot_mu / y.shape[1]
    return lograte, alpha, converged, mean_x
