"""The MPO update of src/learner (critic by expected SARSA, then actor, duals and Polyak targets),
in PyTorch's CPU build, for the like-for-like row of bench/learner.ts. Same shapes and numbers as
TonicRL's MPO: 20 action samples, eps 0.1, eps_mean 1e-3, eps_std 1e-6, eps_penalty 1e-3 with
action penalization, per-dimension KL constraints, Adam actor/critic 3e-4 and duals 1e-2.

  python3 bench/torchMpo.py HIDDEN BATCH ROUNDS [THREADS]
prints: median ms per update, torch version, threads.
"""
import copy
import sys
import time

import torch
import torch.nn.functional as F

H, B, ROUNDS = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
if len(sys.argv) > 4:
    torch.set_num_threads(int(sys.argv[4]))
O, A, S = 28, 6, 20
torch.manual_seed(0)


class Actor(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.torso = torch.nn.Sequential(torch.nn.Linear(O, H), torch.nn.ReLU(), torch.nn.Linear(H, H), torch.nn.ReLU())
        self.loc = torch.nn.Linear(H, A)
        self.scale = torch.nn.Linear(H, A)

    def forward(self, x):
        h = self.torso(x)
        return torch.tanh(self.loc(h)), torch.clamp(F.softplus(self.scale(h)), 1e-4, 1.0)


class Critic(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(O + A, H), torch.nn.ReLU(), torch.nn.Linear(H, H), torch.nn.ReLU(), torch.nn.Linear(H, 1))

    def forward(self, o, a):
        return self.net(torch.cat([o, a], -1)).squeeze(-1)


actor, critic = Actor(), Critic()
t_actor, t_critic = copy.deepcopy(actor), copy.deepcopy(critic)
for p in list(t_actor.parameters()) + list(t_critic.parameters()):
    p.requires_grad_(False)
log_temp = torch.nn.Parameter(torch.ones(1))
log_pen = torch.nn.Parameter(torch.ones(1))
log_am = torch.nn.Parameter(torch.ones(A))
log_as = torch.nn.Parameter(torch.full((A,), 10.0))
duals = [log_temp, log_pen, log_am, log_as]
opt_a = torch.optim.Adam(actor.parameters(), lr=3e-4)
opt_c = torch.optim.Adam(critic.parameters(), lr=3e-4)
opt_d = torch.optim.Adam(duals, lr=1e-2)
EPS = 1e-8


def kl(l1, s1, l2, s2):
    vr = (s1 / s2) ** 2
    return 0.5 * (vr + ((l1 - l2) / s2) ** 2 - 1 - torch.log(vr))


def weights_and_loss(q, eps, temp):
    tq = q / temp
    w = torch.softmax(tq, 0).detach()
    loss = temp * (torch.logsumexp(tq, 0).mean() - torch.log(torch.tensor(float(q.shape[0]))) + eps)
    return w, loss


def logp(x, loc, scale):
    return torch.distributions.Normal(loc, scale).log_prob(x).sum(-1)


def update(o, a, r, d, o2):
    # Critic: expected SARSA with S target-policy samples.
    with torch.no_grad():
        l2, s2 = t_actor(o2)
        na = l2 + s2 * torch.randn(S, B, A)
        v = t_critic(o2.expand(S, B, O), na).mean(0)
        ret = r + d * v
    opt_c.zero_grad()
    F.mse_loss(critic(o, a), ret).backward()
    opt_c.step()
    # Actor: MPO with decoupled KL constraints and action penalization.
    with torch.no_grad():
        for p in duals:
            p.clamp_(min=-18)
        tl, ts = t_actor(o)
        acts = tl + ts * torch.randn(S, B, A)
        q = t_critic(o.expand(S, B, O), acts)
        cost = -torch.linalg.norm(acts - acts.clamp(-1, 1), dim=-1)
    temp = F.softplus(log_temp) + EPS
    pen = F.softplus(log_pen) + EPS
    w1, tl1 = weights_and_loss(q, 0.1, temp)
    w2, tl2 = weights_and_loss(cost, 1e-3, pen)
    w = w1 + w2
    loc, scale = actor(o)
    lp_mean = logp(acts, loc, ts)
    lp_std = logp(acts, tl, scale)
    pol_loss = -(lp_mean * w).sum(0).mean() - (lp_std * w).sum(0).mean()
    kl_mean = kl(tl, ts, loc, ts).mean(0)
    kl_std = kl(tl, ts, tl, scale).mean(0)
    am = F.softplus(log_am) + EPS
    ast = F.softplus(log_as) + EPS
    actor_loss = pol_loss + (am.detach() * kl_mean).sum() + (ast.detach() * kl_std).sum()
    dual_loss = tl1 + tl2 + (am * (1e-3 - kl_mean.detach())).sum() + (ast * (1e-6 - kl_std.detach())).sum()
    opt_a.zero_grad()
    opt_d.zero_grad()
    (actor_loss + dual_loss).backward()
    opt_a.step()
    opt_d.step()
    with torch.no_grad():
        for t, s in zip(list(t_actor.parameters()) + list(t_critic.parameters()), list(actor.parameters()) + list(critic.parameters())):
            t.mul_(0.995).add_(s, alpha=0.005)


data = [torch.randn(B, O), torch.rand(B, A) * 2 - 1, torch.randn(B), torch.full((B,), 0.99), torch.randn(B, O)]
for _ in range(3):
    update(*data)
times = []
for _ in range(ROUNDS):
    t0 = time.perf_counter()
    update(*data)
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(times[len(times) // 2], torch.__version__, torch.get_num_threads())
