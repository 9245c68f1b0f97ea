"""The iCEM step of bench/planning.ts in numpy (Debian python3-numpy), for a side-by-side ratio.

Same algorithm and sizes as src/planning/IcemPlanner.ts: colored noise by irfft with the
Timmer-Koenig scaling, population decay, elite memory and shift, mean sample on the last
iteration, momentum 0.1. Models: "toy" (a point integrator, cost = distance to a goal: the
planner's own cost) or "ensemble" (E SiLU MLPs, every member carrying its own trajectory,
cost = -sum of the std over members: free play). Prints one JSON line.

    python3 bench/planning_numpy.py toy|ensemble N H ITERS ACTION_DIM STATE_DIM HIDDEN MEMBERS REPS
"""
import json
import sys
import time

import numpy as np


def colored(beta, shape, rng):
    n = shape[-1]
    f = np.fft.rfftfreq(n)
    f[f < 1.0 / n] = 1.0 / n
    s = f ** (-beta / 2.0)
    w = s[1:].copy()
    w[-1] *= (1 + (n % 2)) / 2.0
    sigma = 2 * np.sqrt(np.sum(w ** 2)) / n
    sr = rng.normal(size=shape[:-1] + (len(f),)) * s
    si = rng.normal(size=shape[:-1] + (len(f),)) * s
    if n % 2 == 0:
        si[..., -1] = 0
        sr[..., -1] *= np.sqrt(2)
    si[..., 0] = 0
    sr[..., 0] *= np.sqrt(2)
    return np.fft.irfft(sr + 1j * si, n=n, axis=-1) / sigma


def main():
    kind, N, H, iters, d, sdim, hidden, members, reps = sys.argv[1], *map(int, sys.argv[2:10])
    rng = np.random.default_rng(0)
    lo, hi = np.zeros(d), np.ones(d)
    K, keep, alpha, gamma, beta, init_std = 10, 3, 0.1, 1.0, 3.5, 0.8
    goal = np.full(sdim, 0.5)
    start = np.zeros(sdim, dtype=np.float32)
    if kind == "ensemble":
        sizes = [sdim + d] + [hidden, hidden] + [2 * sdim]
        Ws = [[(rng.normal(size=(a, b)) / np.sqrt(a)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])] for _ in range(members)]
        bs = [[np.zeros(b, dtype=np.float32) for b in sizes[1:]] for _ in range(members)]

    def rollout(actions):  # actions [n, H, d] -> costs [n]
        n = actions.shape[0]
        if kind == "toy":
            x = start[None, :d] + np.cumsum(actions, axis=1) * 0.1
            return np.sqrt(((x - goal[:d]) ** 2).sum(-1)).sum(-1)
        s = np.repeat(start[None, None, :], members, 0).repeat(n, 1)  # [E, n, S]
        u = np.zeros(n)
        for t in range(H):
            a = actions[:, t, :].astype(np.float32)
            nxt = []
            for e in range(members):
                h = np.concatenate([s[e], a], -1)
                for li, (W, b) in enumerate(zip(Ws[e], bs[e])):
                    h = h @ W + b
                    if li < len(Ws[e]) - 1:
                        h = h / (1 + np.exp(-np.clip(h, -50, 50)))
                nxt.append(s[e] + h[:, :sdim])
            s = np.stack(nxt)
            u += s.std(0, ddof=1).sum(-1)
        return -u

    mean = np.tile((lo + hi) / 2, (H, 1))
    std0 = np.tile(init_std * (hi - lo) / 2, (H, 1))
    elites = None
    times = []
    for rep in range(reps + 1):
        t0 = time.perf_counter()
        std = std0.copy()
        n = N
        prev_elites, prev_costs = None, None
        for i in range(iters):
            if i > 0:
                n = max(2 * K, int(n / gamma))
            eps = colored(beta, (n, d, H), rng).transpose(0, 2, 1)
            acts = np.clip(mean + std * eps, lo, hi)
            if i == iters - 1:
                acts[0] = mean
            if i == 0 and elites is not None:
                sh = np.concatenate([elites[:keep, 1:], np.clip(mean[-1] + std[-1] * rng.normal(size=(keep, 1, d)), lo, hi)], 1)
                acts = np.concatenate([acts, sh], 0)
            costs = rollout(acts)
            if i > 0 and prev_elites is not None:
                acts = np.concatenate([acts, prev_elites[:keep]], 0)
                costs = np.concatenate([costs, prev_costs[:keep]], 0)
            idx = np.argsort(costs)[:K]
            prev_elites, prev_costs = acts[idx], costs[idx]
            mean = (1 - alpha) * prev_elites.mean(0) + alpha * mean
            std = (1 - alpha) * prev_elites.std(0) + alpha * std
        elites = prev_elites
        mean[:-1] = mean[1:]
        if rep > 0:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"numpy": np.__version__, "msPerPlanMedian": float(np.median(times)), "msPerPlan": times}))


main()
