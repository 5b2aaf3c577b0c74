"""One linear-SDE family: the passive, active and CLD forward processes (docs/theory.md 1-3).

Each process acts independently on every data coordinate through a per-coordinate state of n
channels (passive: x; active: x and the active noise eta; CLD: x and the velocity v):

    du = beta(t) A u dt + sqrt(beta(t)) G dW,     D = G G^T,

so the three differ only in A, D and the law of the auxiliary channel at t = 0. With the time change
B(t) = int_0^t beta = beta0 t + beta1 t^2 / 2 every kernel is that of the constant-coefficient
process at physical time B. The closed forms below are written in B and tested against the matrix
exponential and quadrature of the covariance integral (tests/test_sde.py).

Everything accepts numpy arrays (float64) and torch tensors for t: the same formulas serve the
analytic figures and training.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from activediff.diffusion.linalg import apply, as_array, block, cholesky, matmul, namespace, per_sample, transpose


def _phi(alpha, s, xp):
    """int_0^s e^{-alpha r} dr = -expm1(-alpha s) / alpha (alpha > 0), accurate for small s."""
    return -xp.expm1(-alpha * s) / alpha


def _incomplete(m, alpha, s, xp):
    """int_0^s r^m e^{-alpha r} dr = m! alpha^-(m+1) P(m+1, alpha s), accurate for small s."""
    if xp is torch:
        p = torch.special.gammainc(torch.full_like(s, m + 1.0), alpha * s)
    else:
        from scipy.special import gammainc

        p = gammainc(m + 1.0, alpha * s)
    return math.factorial(m) / alpha ** (m + 1) * p


def _exp_remainder3_scaled(z, xp):
    """e^{-z} (e^z - 1 - z - z^2/2) for z >= 0, without cancellation at small z or overflow at large z."""
    series = 0.0
    term = z**3 / 6.0
    for n in range(4, 22):
        series = series + term
        term = term * z / n
    small = xp.exp(-z) * series
    large = -xp.expm1(-z) - xp.exp(-z) * (z + z**2 / 2)
    return xp.where(z < 1.0, small, large)


def _horner(coeffs, s):
    """sum_n coeffs[n] s^n."""
    acc = 0.0 * s
    for c in reversed(coeffs):
        acc = acc * s + c
    return acc


class LinearSDE:
    """Base class: generic kernel algebra on top of a subclass's closed-form propagator and noise."""

    name: str
    n_channels: int
    #: Time-reversal signature of the channels (+1 even, -1 odd): a velocity is odd.
    parity: tuple[int, ...]
    #: Where the authors' code adds numerical_eps to the kernel covariance: "block" (every entry
    #: of the 2x2 block, their active process) or "diagonal".
    numerical_eps_entries: str = "diagonal"
    #: Variance V_t of the mixed score -u_s / V_t in the authors' code: "stationary" (the scored
    #: channel's stationary variance) or "kernel" (the HSM kernel's S_ss(t), their CLD).
    mixed_score_variance: str = "stationary"

    def __init__(self, beta: float = 4.0, beta1: float = 0.0, t_max: float = 1.0):
        if beta <= 0 or beta1 < 0 or t_max <= 0:
            raise ValueError(f"beta must be > 0, beta1 >= 0, t_max > 0; got {beta}, {beta1}, {t_max}")
        self.beta0, self.beta1, self.t_max = float(beta), float(beta1), float(t_max)

    # -- time change ---------------------------------------------------------------------------
    def beta(self, t):
        return self.beta0 + self.beta1 * as_array(t)

    def code_step(self, physical_step: float) -> float:
        """Code-time step of a physical-time step (B = beta t); needs a constant beta."""
        if self.beta1 != 0:
            raise ValueError(f"{self!r}: physical step sizes need a constant beta (beta1 = 0)")
        return float(physical_step) / self.beta0

    def B(self, t):
        t = as_array(t)
        return self.beta0 * t + 0.5 * self.beta1 * t**2

    # -- per-subclass closed forms (physical time s = B) -----------------------------------------
    drift_matrix: np.ndarray  # A, (n, n)
    diffusion_matrix: np.ndarray  # D = G G^T, (n, n), diagonal here
    init_aux_cov: np.ndarray  # covariance of u_0 given x_0 (auxiliary channel only), (n, n)

    def _propagator(self, s):
        raise NotImplementedError

    def _noise_cov(self, s):
        raise NotImplementedError

    def stationary_cov(self) -> np.ndarray:
        raise NotImplementedError

    # -- kernels --------------------------------------------------------------------------------
    def propagator(self, t):
        """e^{A B(t)}: array of shape t.shape + (n, n)."""
        return self._propagator(self.B(t))

    def noise_cov(self, t):
        """M(t) = int_0^B e^{A r} D e^{A^T r} dr: the kernel covariance for a fixed u_0."""
        return self._noise_cov(self.B(t))

    def cov(self, t):
        """Covariance of u_t given x_0 alone (auxiliary channel drawn from its initial law):
        E S0 E^T + M. (1, 1) for passive, (2, 2) otherwise, per coordinate."""
        E = self.propagator(t)
        S0 = as_array(self.init_aux_cov, E)
        return matmul(matmul(E, S0), transpose(E)) + self.noise_cov(t)

    def mean_coeff(self, t):
        """The kernel mean is mean_coeff(t) * x_0 in every channel: first column of e^{A B}."""
        return self.propagator(t)[..., :, 0]

    def x_marginal_var(self, t):
        """Variance of x_t given x_0 (Delta_t of the speciation criterion)."""
        return self.cov(t)[..., 0, 0]

    @property
    def scored_channels(self) -> tuple[int, ...]:
        """Channels that carry noise; only their score enters the reverse dynamics."""
        return tuple(int(i) for i in np.flatnonzero(np.diag(self.diffusion_matrix) > 0))

    # -- sampling of the forward process -------------------------------------------------------
    def perturb(self, x0, t, noise):
        """Forward sample u_t given data x0 (batch, *coords), t (scalar or (batch,)) and standard
        normal noise (batch, n, *coords): u_t = mean_coeff(t) x0 + chol(cov(t)) noise."""
        t = as_array(t, x0)
        coeff = self.mean_coeff(t).reshape((-1, self.n_channels) + (1,) * (x0.ndim - 1))
        return coeff * x0[:, None] + apply(cholesky(self.cov(t)), noise)

    def prior_sample(self, noise):
        """Draw from the stationary law: chol(Sigma_inf) applied to standard normal noise."""
        L = as_array(cholesky(self.stationary_cov()), noise)
        return apply(L, noise)

    # -- drifts given a score (score has u's shape; unscored channels are ignored) ------------
    def forward_drift(self, u, t):
        return per_sample(self.beta(t), u) * apply(as_array(self.drift_matrix, u), u)

    def reverse_drift(self, u, t, score):
        """Drift of the reverse-time SDE, in reverse time s = t_max - t: -f + beta D score."""
        D = as_array(self.diffusion_matrix, u)
        return -self.forward_drift(u, t) + per_sample(self.beta(t), u) * apply(D, score)

    def probability_flow_drift(self, u, t, score):
        """du/dt of the probability-flow ODE in forward time: f - (beta/2) D score."""
        D = as_array(self.diffusion_matrix, u)
        return self.forward_drift(u, t) - 0.5 * per_sample(self.beta(t), u) * apply(D, score)

    def noise_scale(self, t, u):
        """sqrt(beta D) per channel (D is diagonal), broadcast against u."""
        g = np.sqrt(np.diag(self.diffusion_matrix))
        g = as_array(g, u).reshape((1, -1) + (1,) * (u.ndim - 2))
        return per_sample(self.beta(t), u) ** 0.5 * g

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params})"


class Passive(LinearSDE):
    """dx = -k x dt + sqrt(2T) dW."""

    name, n_channels, parity = "passive", 1, (1,)

    def __init__(self, k: float = 1.0, T: float = 1.0, **time):
        super().__init__(**time)
        if k <= 0 or T <= 0:
            raise ValueError(f"passive: k and T must be > 0, got k={k}, T={T}")
        self.k, self.T = float(k), float(T)
        self.params = dict(k=k, T=T, **time)
        self.drift_matrix = np.array([[-self.k]])
        self.diffusion_matrix = np.array([[2 * self.T]])
        self.init_aux_cov = np.zeros((1, 1))

    def _propagator(self, s):
        xp = namespace(s)
        return block([[xp.exp(-self.k * s)]], s)

    def _noise_cov(self, s):
        xp = namespace(s)
        return block([[2 * self.T * _phi(2 * self.k, s, xp)]], s)

    def stationary_cov(self):
        return np.array([[self.T / self.k]])


class Active(LinearSDE):
    """dx = (-k x + eta) dt + sqrt(2 Tp) dW1,  deta = -eta/tau dt + sqrt(2 Ta)/tau dW2."""

    name, n_channels, parity = "active", 2, (1, 1)
    numerical_eps_entries = "block"
    #: |k - 1/tau| below this (relative) is bridged by interpolation through the k tau = 1 limit.
    DEGENERATE_GAP = 1e-3

    def __init__(self, k: float = 1.0, tau: float = 0.25, Tp: float = 0.0, Ta: float = 1.0,
                 eta0: str = "stationary", **time):
        super().__init__(**time)
        if k <= 0 or tau <= 0 or Tp < 0 or Ta <= 0:
            raise ValueError(f"active: need k > 0, tau > 0, Tp >= 0, Ta > 0; got k={k}, tau={tau}, "
                             f"Tp={Tp}, Ta={Ta}")
        if eta0 not in ("stationary", "zero"):
            raise ValueError(f"active: eta0 must be 'stationary' or 'zero', got {eta0!r}")
        self.k, self.tau, self.Tp, self.Ta, self.eta0 = float(k), float(tau), float(Tp), float(Ta), eta0
        self.w = 1.0 / self.tau
        self.params = dict(k=k, tau=tau, Tp=Tp, Ta=Ta, eta0=eta0, **time)
        self.drift_matrix = np.array([[-self.k, 1.0], [0.0, -self.w]])
        self.diffusion_matrix = np.diag([2 * self.Tp, 2 * self.Ta * self.w**2])
        g = self.Ta / self.tau if eta0 == "stationary" else 0.0
        self.init_aux_cov = np.diag([0.0, g])

    def _entries(self, s, w):
        """(M11, M12) from eta for rate w != k, as divided differences of phi (stable at small s)."""
        xp, k, Ta = namespace(s), self.k, self.Ta
        h = k - w
        p2w, pkw, p2k = _phi(2 * w, s, xp), _phi(k + w, s, xp), _phi(2 * k, s, xp)
        m12 = 2 * Ta * w**2 * (p2w - pkw) / h
        m11 = 2 * Ta * w**2 * (p2w - 2 * pkw + p2k) / h**2
        return m11, m12

    def _entries_limit(self, s):
        """(M11, M12) from eta at k = w exactly: 2 Ta w^2 int r^2 e^{-2kr}, 2 Ta w^2 int r e^{-2kr}."""
        xp, k, Ta = namespace(s), self.k, self.Ta
        m12 = 2 * Ta * k**2 * _incomplete(1, 2 * k, s, xp)
        m11 = 2 * Ta * k**2 * _incomplete(2, 2 * k, s, xp)
        return m11, m12

    def _series_coefficients(self, n_terms: int = 32):
        """Taylor coefficients in s of (M11, M12) from eta. They are divided differences of
        phi(alpha, s) = sum_n (-alpha)^{n-1} s^n / n! at alpha = 2w, k+w, 2k, i.e. complete
        homogeneous polynomials h_m of those points: positive sums, exact for any k, w."""
        def complete_homogeneous(points):
            h = [1.0] + [0.0] * n_terms
            for x in points:
                for m in range(1, n_terms + 1):
                    h[m] += x * h[m - 1]
            return h

        k, w, Ta = self.k, self.w, self.Ta
        h2 = complete_homogeneous([2 * w, k + w])
        h3 = complete_homogeneous([2 * w, k + w, 2 * k])
        c11 = [0.0] * (n_terms + 1)
        c12 = [0.0] * (n_terms + 1)
        for n in range(2, n_terms + 1):
            sign_over_factorial = (-1) ** n / math.factorial(n)
            c12[n] = 2 * Ta * w**2 * sign_over_factorial * h2[n - 2]
            if n >= 3:
                c11[n] = -4 * Ta * w**2 * sign_over_factorial * h3[n - 3]
        return c11, c12

    def _aux_entries(self, s):
        """(M11, M12) from eta. Three regimes, each free of cancellation:
        small s (2 max(k, w) s < 1): Taylor series; otherwise the divided-difference closed form,
        except within DEGENERATE_GAP of k tau = 1, where the closed form loses digits as
        1/delta^2 and is replaced by quadratic interpolation in delta = w - k through the exact
        limit and the closed form at +-gap (error O(gap^3), about 1e-9 relative)."""
        xp = namespace(s)
        if not hasattr(self, "_coeffs"):
            self._coeffs = self._series_coefficients()
        series = tuple(_horner(coeffs, s) for coeffs in self._coeffs)
        gap = self.DEGENERATE_GAP * max(self.k, self.w)
        delta = self.w - self.k
        if abs(delta) >= gap:
            closed = self._entries(s, self.w)
        else:
            lo, mid, hi = self._entries(s, self.k - gap), self._entries_limit(s), self._entries(s, self.k + gap)
            x = delta / gap
            closed = tuple(m + 0.5 * x * (h - l) + 0.5 * x**2 * (h - 2 * m + l) for l, m, h in zip(lo, mid, hi))
        small = 2 * max(self.k, self.w) * s < 1.0
        return tuple(xp.where(small, a, b) for a, b in zip(series, closed))

    def _propagator(self, s):
        xp, k, w = namespace(s), self.k, self.w
        # b = (e^{-ws} - e^{-ks}) / (k - w), written with expm1: exact as w -> k (b -> s e^{-ks}).
        b = xp.exp(-k * s) * _phi(w - k, s, xp) if w != k else s * xp.exp(-k * s)
        return block([[xp.exp(-self.k * s), b], [0.0, xp.exp(-self.w * s)]], s)

    def _noise_cov(self, s):
        xp = namespace(s)
        m11, m12 = self._aux_entries(s)
        m11 = m11 + 2 * self.Tp * _phi(2 * self.k, s, xp)
        m22 = 2 * self.Ta * self.w**2 * _phi(2 * self.w, s, xp)
        return block([[m11, m12], [m12, m22]], s)

    def stationary_cov(self):
        k, tau, Tp, Ta = self.k, self.tau, self.Tp, self.Ta
        c = Ta / (1 + k * tau)
        return np.array([[Tp / k + c / k, c], [c, Ta / tau]])


class CLD(LinearSDE):
    """Critically damped Langevin: dx = M^-1 v dt, dv = (-x - Gamma M^-1 v) dt + sqrt(2 Gamma) dW,
    Gamma = 2 sqrt(M); velocity initially N(0, gamma M) (the HSM convention)."""

    name, n_channels, parity = "cld", 2, (1, -1)
    mixed_score_variance = "kernel"

    def __init__(self, m_inv: float = 4.0, gamma: float = 0.04, **time):
        super().__init__(**time)
        if m_inv <= 0 or gamma < 0:
            raise ValueError(f"cld: need m_inv > 0, gamma >= 0; got m_inv={m_inv}, gamma={gamma}")
        self.m_inv, self.gamma = float(m_inv), float(gamma)
        self.mass = 1.0 / self.m_inv
        self.Gamma = 2.0 * math.sqrt(self.mass)
        self.params = dict(m_inv=m_inv, gamma=gamma, **time)
        self.drift_matrix = np.array([[0.0, self.m_inv], [-1.0, -self.Gamma * self.m_inv]])
        self.diffusion_matrix = np.diag([0.0, 2 * self.Gamma])
        self.init_aux_cov = np.diag([0.0, self.gamma * self.mass])

    def _propagator(self, s):
        xp, G = namespace(s), self.Gamma
        e = xp.exp(-2 * s / G)
        return block([[e * (1 + 2 * s / G), e * 4 * s / G**2], [-e * s, e * (1 - 2 * s / G)]], s)

    def _noise_cov(self, s):
        xp, G = namespace(s), self.Gamma
        z = 4 * s / G
        e = xp.exp(-z)
        sxx = _exp_remainder3_scaled(z, xp)
        sxv = e * 4 * s**2 / G
        svv = -G**2 / 4 * xp.expm1(-z) + e * (G * s - 2 * s**2)
        return block([[sxx, sxv], [sxv, svv]], s)

    def stationary_cov(self):
        return np.diag([1.0, self.mass])


SDES = {"passive": Passive, "active": Active, "cld": CLD}


def temperature_matched_passive(active: Active) -> Passive:
    """The passive process as cold as the active one: the same k and time change, and T such that
    its stationary x variance T / k equals the active one (T = Ta / (1 + k tau) + Tp for the
    defaults: 0.8). Comparing against it separates "active" from "colder" (docs/theory.md 10)."""
    T = active.k * float(active.stationary_cov()[0, 0])
    return Passive(k=active.k, T=T, beta=active.beta0, beta1=active.beta1, t_max=active.t_max)


def make_sde(name: str, **params) -> LinearSDE:
    """Build a process by name: make_sde("active", k=1, tau=0.25, Tp=0, Ta=1, beta=4, eta0="stationary")."""
    try:
        cls = SDES[name]
    except KeyError:
        raise ValueError(f"unknown SDE {name!r}; expected one of {sorted(SDES)}") from None
    try:
        return cls(**params)
    except TypeError as err:
        raise ValueError(f"{name}: bad parameters {sorted(params)} ({err})") from None
