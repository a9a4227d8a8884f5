"""Pseudo-anomaly samplers of the (1+eps) detector and the RealNVP generator of Deep EOPE.

Each sampler is a ``torch.nn.Module`` called with the classifier ``g`` and
returning a batch of pseudo-anomalies inside the sampling box: uniform points
(brute-force OPE), persistent HMC or RMSProp-Langevin chains on the energy
model ``exp(g(x))`` (HMC / RMSProp EOPE), or draws of a normalising flow
trained jointly to approximate it (Deep EOPE).
"""

import math

import torch

from ._base import adam_implementation, inner_step, make_mlp


def _logits(module, x):
    """``g(x)``: the classifier's ``(batch, 1)`` logits as a 1-D tensor."""
    out = module(x)
    return out.reshape(out.shape[0])


class _BoxSampler(torch.nn.Module):
    """Common state: the box ``[low, high]`` all samples stay in."""

    energy_based = True

    def __init__(self, low, high):
        super().__init__()
        self.register_buffer("low", low)
        self.register_buffer("high", high)

    def uniform(self, n_samples):
        u = torch.rand(n_samples, self.low.shape[0], device=self.low.device)
        return self.low + (self.high - self.low) * u

    def clip(self, x):
        return torch.maximum(torch.minimum(x, self.high), self.low)


class UniformSampler(_BoxSampler):
    """Brute-force OPE: uniform pseudo-anomalies on the box."""

    energy_based = False

    def __init__(self, low, high, n_samples=256):
        super().__init__(low, high)
        self.n_samples = n_samples

    def forward(self, module):
        return self.uniform(self.n_samples)


def _log_density_and_grad(module, x):
    """``g(x)`` and ``grad_x g(x)``, without touching the module's gradients."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        g = _logits(module, x)
        (grad,) = torch.autograd.grad(g.sum(), x)
    return g.detach(), grad.detach()


class _PersistentChains(_BoxSampler):
    """Chains kept between steps (persistent contrastive divergence)."""

    def __init__(self, low, high, n_chains, restart_probability):
        super().__init__(low, high)
        self.restart_probability = restart_probability
        self.register_buffer("chains", self.uniform(n_chains))

    def _restart_some(self, x):
        restart = torch.rand(x.shape[0], device=x.device) < self.restart_probability
        return torch.where(restart[:, None], self.uniform(x.shape[0]), x), restart

    def forward(self, module):
        if not self.training:  # evaluation: score the current chains only
            return self.chains.clone()
        x = self._transition(module, self.chains)
        x, _ = self._restart_some(x)
        self.chains.copy_(x)
        return x.clone()


class HMCSampler(_PersistentChains):
    """Hamiltonian Monte Carlo on ``exp(g(x))`` restricted to the box.

    One transition per training step: ``n_leapfrog_steps`` leapfrog steps
    with Gaussian momenta, then a Metropolis accept/reject per chain
    (proposals leaving the box are rejected). The step size follows the
    acceptance rate toward ``target_acceptance`` (stochastic approximation on
    its logarithm).
    """

    def __init__(self, low, high, n_chains, n_leapfrog_steps, step_size,
                 target_acceptance, restart_probability, adaptation_rate=0.05):
        super().__init__(low, high, n_chains, restart_probability)
        self.n_leapfrog_steps = n_leapfrog_steps
        self.target_acceptance = target_acceptance
        self.adaptation_rate = adaptation_rate
        self.register_buffer("log_step_size", torch.tensor(math.log(step_size)))
        self.register_buffer("acceptance_rate", torch.tensor(float("nan")))

    def _transition(self, module, x0):
        step = self.log_step_size.exp()
        log_p0, grad = _log_density_and_grad(module, x0)
        p0 = torch.randn_like(x0)
        # (addcmul: one kernel for each ``a + c * step * b`` of the leapfrog)
        x, p = x0, torch.addcmul(p0, step, grad, value=0.5)
        for i in range(self.n_leapfrog_steps):
            x = torch.addcmul(x, step, p)
            log_p, grad = _log_density_and_grad(module, x)
            last = i == self.n_leapfrog_steps - 1
            p = torch.addcmul(p, step, grad, value=0.5 if last else 1.0)
        energy_change = (-log_p + 0.5 * (p**2).sum(1)) - (-log_p0 + 0.5 * (p0**2).sum(1))
        inside = ((x >= self.low) & (x <= self.high)).all(dim=1)
        uniform = torch.rand(x.shape[0], device=x.device)
        accept = inside & torch.isfinite(energy_change) & (
            torch.log(uniform) < -energy_change
        )
        rate = accept.float().mean()
        self.acceptance_rate.copy_(rate)
        self.log_step_size.add_(self.adaptation_rate * (rate - self.target_acceptance))
        return torch.where(accept[:, None], x, x0)


class RMSPropSampler(_PersistentChains):
    """A few RMSProp-preconditioned Langevin steps on ``g`` per training step.

    Each step moves the chains by ``step_size / 2 * G * grad g`` plus Gaussian
    noise of variance ``step_size * G``, where ``G = 1 / sqrt(v)`` and ``v`` is
    RMSProp's running mean of squared gradients (preconditioned stochastic
    gradient Langevin dynamics, Li et al. 2016). Without the noise the chains
    would collapse onto the maxima of ``g``.
    """

    def __init__(self, low, high, n_chains, n_steps, step_size,
                 restart_probability, decay):
        super().__init__(low, high, n_chains, restart_probability)
        self.n_steps = n_steps
        self.step_size = step_size
        self.decay = decay
        self.register_buffer("mean_square", torch.ones_like(self.chains))

    def _transition(self, module, x):
        # In-place updates on fresh tensors: a step is mostly small
        # elementwise kernels besides the gradient, and each allocation and
        # temporary costs as much as the arithmetic on a batch of chains.
        mean_square = self.mean_square.clone()
        scale = math.sqrt(self.step_size)
        for _ in range(self.n_steps):
            _, grad = _log_density_and_grad(module, x)
            mean_square.mul_(self.decay).addcmul_(grad, grad, value=1 - self.decay)
            root_preconditioner = mean_square.sqrt().add_(1e-5).rsqrt_()
            # x + step/2 * G * grad + sqrt(step * G) * noise, G = root^2
            noise = torch.randn_like(x).mul_(root_preconditioner).mul_(scale)
            drift = grad.mul_(root_preconditioner).mul_(root_preconditioner)
            x = torch.clamp(x + drift.mul_(0.5 * self.step_size) + noise, self.low, self.high)
        self.mean_square.copy_(mean_square)
        return x


class AffineCoupling(torch.nn.Module):
    """RealNVP coupling ``(a, b) -> (b * exp(s(a)) + t(a), a)``, log-det ``sum s(a)``.

    ``a`` is the first ``n_features // 2`` columns; the output puts the
    transformed ``b`` first, so that the next coupling transforms the other
    half. ``s = tanh(.)`` keeps each step's scale within ``[1/e, e]``.
    """

    def __init__(self, n_features, hidden_layer_sizes):
        super().__init__()
        self.n_kept = n_features // 2
        n_moved = n_features - self.n_kept
        self.conditioner = make_mlp([self.n_kept, *hidden_layer_sizes, 2 * n_moved], "relu")
        # Start as the identity map.
        torch.nn.init.zeros_(self.conditioner[-1].weight)
        torch.nn.init.zeros_(self.conditioner[-1].bias)

    def forward(self, x):
        kept, moved = x[:, : self.n_kept], x[:, self.n_kept :]
        log_scale, shift = self.conditioner(kept).chunk(2, dim=1)
        log_scale = torch.tanh(log_scale)
        return torch.cat([moved * log_scale.exp() + shift, kept], dim=1), log_scale.sum(1)


class RealNVPGenerator(torch.nn.Module):
    """A normalising flow ``z ~ N(0, I) -> x`` in the box, with exact ``log q(x)``.

    An elementwise affine map, ``n_couplings`` affine couplings (the features
    permuted at random before each), then ``x = low + (high - low) sigmoid(y)``.
    ``log q(x) = log N(z) - sum of the log-determinants`` (Dinh et al., ICLR 2017).
    """

    def __init__(self, low, high, n_couplings, hidden_layer_sizes):
        super().__init__()
        n_features = low.shape[0]
        self.register_buffer("low", low)
        self.register_buffer("log_width", torch.log(high - low))
        self.loc = torch.nn.Parameter(torch.zeros(n_features))
        self.log_scale = torch.nn.Parameter(torch.zeros(n_features))
        self.couplings = torch.nn.ModuleList(
            AffineCoupling(n_features, hidden_layer_sizes) for _ in range(n_couplings)
        )
        self.register_buffer(
            "permutations",
            torch.stack([torch.randperm(n_features) for _ in range(n_couplings)]),
        )

    def forward(self, n_samples):
        """``n_samples`` draws ``x`` and their log-density ``log q(x)``."""
        z = torch.randn(n_samples, self.low.shape[0], device=self.low.device)
        return self.transform(z)

    def transform(self, z):
        """The points ``x`` that the normal draws ``z`` map to, and ``log q(x)``."""
        log_q = -0.5 * (z**2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi)
        y = self.loc + z * self.log_scale.exp()
        log_q = log_q - self.log_scale.sum()
        for coupling, permutation in zip(self.couplings, self.permutations):
            y, log_det = coupling(y[:, permutation])
            log_q = log_q - log_det
        # d sigmoid(y) / dy = sigmoid(y) sigmoid(-y)
        logsigmoid = torch.nn.functional.logsigmoid
        log_det_box = self.log_width + logsigmoid(y) + logsigmoid(-y)
        x = self.low + self.log_width.exp() * torch.sigmoid(y)
        return x, log_q - log_det_box.sum(1)


class GeneratorSampler(_BoxSampler):
    """Deep EOPE: a generator ``Q`` trained jointly to approximate ``exp(g) / Z``.

    Each training step first updates ``Q`` with its own Adam on
    ``KL(Q || P_f) - log Z = E_Q [log q(x) - g(x)]``, then hands the batch it
    generated to the classifier as pseudo-anomalies. ``Q`` is a
    :class:`RealNVPGenerator`, whose exact ``log q`` makes ``-E_Q log q`` an
    unbiased estimate of the entropy ``H(Q)``.
    """

    def __init__(self, low, high, n_samples, n_couplings, hidden_layer_sizes, learning_rate):
        super().__init__(low, high)
        self.n_samples = n_samples
        self.learning_rate = learning_rate
        self.generator = RealNVPGenerator(low, high, n_couplings, hidden_layer_sizes)
        self.optimizer = None

    def forward(self, module):
        if not self.training:
            with torch.no_grad():
                return self.generator(self.n_samples)[0]
        if self.optimizer is None:
            self.optimizer = torch.optim.Adam(
                self.generator.parameters(), lr=self.learning_rate,
                **adam_implementation(str(self.low.device)),
            )
        parameters = list(self.generator.parameters())
        with torch.enable_grad():
            x, log_q = self.generator(self.n_samples)
            kl = (log_q - _logits(module, x)).mean()
            inner_step(self.optimizer, kl, parameters)
        return x.detach()
