#!/usr/bin/python3
"""Reference trajectories for the optimizer tests (tests/c/test_optim.c), from torch.optim.

Run with Debian's interpreter and python3-torch:  /usr/bin/python3 tests/reference/gen_optim.py
It writes tests/reference/optim_ref.h (committed, so the tests run without torch).

For every case, in float64, 50 steps of:
  quad   : f(z) = 1/2 (z - c)^T Q (z - c) in 3-D, two starting points (two lanes of a block)
  stream : a fixed stream of gradients g_k (no landscape), three lanes with their own streams
  valley : f(x, y) = (1 + x^2) y^2 from (1.5, 0.7) through mf_run (gradient by autograd)
Optimizers torch has (SGD, Adam, AdamW, RMSprop, and the LR schedulers StepLR,
CosineAnnealingLR, LinearLR) run as torch.optim; the papers' optimizers torch lacks
(momentum Q(15), heavy ball F(1), scalar RMSprop S Def. B.1, GD+WD S(1), projected GD) are
written out below with torch tensor operations, from doc/math.md §3.
"""
import math
import os

import torch

torch.set_default_dtype(torch.float64)
STEPS = 50
gen = torch.Generator().manual_seed(20240611)
A = torch.randn(3, 3, generator=gen)
Q = A @ A.T / 3 + 0.5 * torch.eye(3)
C = torch.randn(3, generator=gen)
QUAD_Z0 = [torch.randn(3, generator=gen) for _ in range(2)]
STREAM = [torch.randn(STEPS, 3, generator=gen) for _ in range(3)]
STREAM_Z0 = [torch.randn(3, generator=gen) for _ in range(3)]
VALLEY_Z0 = torch.tensor([1.5, 0.7])


def quad_grad(z, k):
    return Q @ (z - C)


def valley_grad(z, k):
    z = z.detach().clone().requires_grad_(True)
    f = (1 + z[0] ** 2) * z[1] ** 2
    (g,) = torch.autograd.grad(f, z)
    return g


class Manual:
    """The papers' optimizers (doc/math.md §3) on a single parameter tensor."""

    def __init__(self, kind, p, lr, **kw):
        self.kind, self.p, self.lr, self.kw, self.k = kind, p, lr, kw, 0
        self.s = torch.zeros_like(p)
        self.v = kw.get("v0")

    def step(self):
        self.k += 1
        z, g, lr, kw = self.p.data, self.p.grad, self.lr, self.kw
        if self.kind == "momentum":  # Q(15)
            self.s = kw["mu"] * self.s - lr * g
            z.add_(self.s)
        elif self.kind == "heavy_ball":  # F(1)
            self.s = kw["beta"] * self.s - g
            z.add_(lr * self.s)
        elif self.kind == "scalar_rmsprop":  # S Def. B.1
            z.sub_(lr / math.sqrt(self.v) * g)
            self.v = kw["beta"] * self.v + (1 - kw["beta"]) * float(g @ g)
        elif self.kind == "gd_wd":  # S(1)
            z.copy_((1 - lr * kw["wd"]) * z - lr * g)
        elif self.kind == "projected_gd":
            w = z - lr * g
            z.copy_(w / torch.linalg.norm(w))


def run(case, z0, grad):
    p = torch.nn.Parameter(z0.clone())
    sched = None
    if case["torch"]:
        opt = case["torch"]([p])
        if case.get("sched"):
            sched = case["sched"](opt)
    else:
        opt = Manual(case["opt"], p, case["lr"], **case["kw"])
    traj = [p.detach().clone()]
    for k in range(1, STEPS + 1):
        p.grad = grad(p.detach(), k)
        opt.step()
        if sched:
            sched.step()
        traj.append(p.detach().clone())
    return traj


def stream_grad(lane):
    return lambda z, k: STREAM[lane][k - 1].clone()


O = torch.optim
S = O.lr_scheduler
# name, mflab optimizer, mf_optim_params (C initializer), mf_schedule (C initializer), torch
CASES = [
    dict(name="sgd", opt="sgd", p="{.momentum = 0}", lr=0.1, torch=lambda ps: O.SGD(ps, lr=0.1)),
    dict(name="sgd momentum", opt="sgd", p="{.momentum = 0.9}", lr=0.05,
         torch=lambda ps: O.SGD(ps, lr=0.05, momentum=0.9)),
    dict(name="sgd momentum dampening weight_decay", opt="sgd",
         p="{.momentum = 0.9, .dampening = 0.3, .weight_decay = 0.01}", lr=0.05,
         torch=lambda ps: O.SGD(ps, lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    dict(name="sgd nesterov weight_decay", opt="sgd",
         p="{.momentum = 0.8, .nesterov = 1, .weight_decay = 0.02}", lr=0.05,
         torch=lambda ps: O.SGD(ps, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)),
    dict(name="adam", opt="adam", p="{.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8}", lr=0.01,
         torch=lambda ps: O.Adam(ps, lr=0.01)),
    dict(name="adam betas eps weight_decay", opt="adam",
         p="{.beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.05}", lr=0.02,
         torch=lambda ps: O.Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    dict(name="adamw", opt="adamw", p="{.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 1e-2}",
         lr=0.01, torch=lambda ps: O.AdamW(ps, lr=0.01)),
    dict(name="adamw betas weight_decay", opt="adamw",
         p="{.beta1 = 0.85, .beta2 = 0.95, .eps = 1e-8, .weight_decay = 0.1}", lr=0.02,
         torch=lambda ps: O.AdamW(ps, lr=0.02, betas=(0.85, 0.95), weight_decay=0.1)),
    dict(name="rmsprop", opt="rmsprop", p="{.alpha = 0.99, .eps = 1e-8}", lr=0.01,
         torch=lambda ps: O.RMSprop(ps, lr=0.01)),
    dict(name="rmsprop centered momentum weight_decay", opt="rmsprop",
         p="{.alpha = 0.9, .eps = 1e-8, .momentum = 0.7, .centered = 1, .weight_decay = 0.01}",
         lr=0.005, torch=lambda ps: O.RMSprop(ps, lr=0.005, alpha=0.9, momentum=0.7,
                                              centered=True, weight_decay=0.01)),
    dict(name="rmsprop centered", opt="rmsprop", p="{.alpha = 0.99, .eps = 1e-8, .centered = 1}",
         lr=0.005, torch=lambda ps: O.RMSprop(ps, lr=0.005, centered=True)),
    dict(name="sgd momentum StepLR", opt="sgd", p="{.momentum = 0.5}", lr=0.1,
         sched_c="{.kind = MF_SCHED_STEP, .lr = 0.1, .step_size = 10, .gamma = 0.5, .start = 1}",
         torch=lambda ps: O.SGD(ps, lr=0.1, momentum=0.5),
         sched=lambda o: S.StepLR(o, step_size=10, gamma=0.5)),
    dict(name="adam CosineAnnealingLR", opt="adam", p="{.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8}",
         lr=0.05, sched_c="{.kind = MF_SCHED_COSINE, .lr = 0.05, .T = 60, .eta_min = 1e-3, .start = 1}",
         torch=lambda ps: O.Adam(ps, lr=0.05),
         sched=lambda o: S.CosineAnnealingLR(o, T_max=60, eta_min=1e-3)),
    dict(name="sgd LinearLR warm-up", opt="sgd", p="{.momentum = 0}", lr=0.1,
         sched_c="{.kind = MF_SCHED_CONSTANT, .lr = 0.1, .warmup = 8, .start = 0.25}",
         torch=lambda ps: O.SGD(ps, lr=0.1),
         sched=lambda o: S.LinearLR(o, start_factor=0.25, total_iters=8)),
    # the papers' optimizers (independent implementations above)
    dict(name="momentum (Q)", opt="momentum", p="{.momentum = 0.9}", lr=0.05, torch=None,
         kw=dict(mu=0.9)),
    dict(name="heavy_ball (F)", opt="heavy_ball", p="{.momentum = 0.9}", lr=0.05, torch=None,
         kw=dict(beta=0.9)),
    dict(name="scalar_rmsprop", opt="scalar_rmsprop", p="{.beta2 = 0.9, .v0 = 2.0}", lr=0.05,
         torch=None, kw=dict(beta=0.9, v0=2.0)),
    dict(name="gd_wd", opt="gd_wd", p="{.weight_decay = 0.1}", lr=0.1, torch=None, kw=dict(wd=0.1)),
    dict(name="projected_gd", opt="projected_gd", p="{.momentum = 0}", lr=0.1, torch=None, kw={}),
    # torch's SGD with momentum is the quasistatic momentum with m = -lr b
    dict(name="momentum (Q) vs torch SGD", opt="momentum", p="{.momentum = 0.9}", lr=0.05,
         torch=lambda ps: O.SGD(ps, lr=0.05, momentum=0.9)),
]


def c_array(traj):
    return "{" + ", ".join("{" + ", ".join(repr(float(x)) for x in z) + "}" for z in traj) + "}"


def main():
    out = []
    w = out.append
    w("/* Generated by tests/reference/gen_optim.py with torch %s (float64); do not edit. */" % torch.__version__)
    w("#define REF_STEPS %d" % STEPS)
    w("static const double ref_Q[3][3] = %s;" % c_array(Q))
    w("static const double ref_c[3] = {%s};" % ", ".join(repr(float(x)) for x in C))
    w("static const double ref_stream[3][%d][3] = {%s};" % (STEPS, ", ".join(c_array(s) for s in STREAM)))
    w("typedef struct ref_case {\n    const char *name, *opt;\n    mf_optim_params p;\n    mf_schedule lr;\n"
      "    double quad[2][%d][3], stream[3][%d][3], valley[%d][2];\n} ref_case;" % ((STEPS + 1,) * 3))
    w("static const ref_case ref_cases[] = {")
    for case in CASES:
        case.setdefault("kw", {})
        quad = [run(case, z0, quad_grad) for z0 in QUAD_Z0]
        stream = [run(case, STREAM_Z0[i], stream_grad(i)) for i in range(3)]
        valley = run(case, VALLEY_Z0, valley_grad)
        sched = case.get("sched_c") or "{.kind = MF_SCHED_CONSTANT, .lr = %r, .start = 1}" % case["lr"]
        w('    {"%s", "%s", %s, %s,\n     {%s},\n     {%s},\n     %s},' % (
            case["name"], case["opt"], case["p"], sched,
            ", ".join(c_array(t) for t in quad), ", ".join(c_array(t) for t in stream),
            c_array(valley)))
    w("};")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim_ref.h")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(path + ".tmp", path)
    print("wrote", path, len(CASES), "cases")


if __name__ == "__main__":
    main()
