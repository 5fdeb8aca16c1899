"""DDPM network evaluations in float32 and bf16, in one run: time per batch (forward; forward + backward
as DPS needs) and the PSNR of three solvers on the same test images. Usage:
    .venv/bin/python scripts/bf16_inference.py DATA [DATASET] [N]
"""

import sys
import time

import torch

from invdrift import bench, data, metrics
from invdrift.checkpoint import default_checkpoints
from invdrift.models import load_ddpm
from invdrift.solvers.diffusion_methods import make_diffusion_solver
from invdrift.solvers.diffusion_tuning import settings

CHECKS = (("sr4", "ddrm", {}), ("deblur", "diffpir", {}), ("inpaint_box", "dps", {"steps": 100}))


def median_seconds(call, repeats: int = 5) -> float:
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main(data_root: str, dataset: str = "mnist", n: int = 64) -> None:
    n = int(n)
    models = {bf16: load_ddpm(dataset, None, bf16) for bf16 in (False, True)}
    x = torch.randn(32, *data.SHAPES[dataset])
    t = torch.full((32,), 500)

    def forward(model):
        with torch.no_grad():
            model(x, t)

    def backward(model):
        inputs = x.clone().requires_grad_(True)
        torch.autograd.grad(model(inputs, t).pow(2).sum(), inputs)
    for what, run in (("forward", forward), ("forward+backward", backward)):
        fp32 = median_seconds(lambda: run(models[False][0]))
        bf16 = median_seconds(lambda: run(models[True][0]))
        print(f"{dataset} DDPM {what}, batch 32: float32 {fp32 * 1000:.1f} ms, bf16 {bf16 * 1000:.1f} ms "
              f"(×{fp32 / bf16:.2f})")
    images, _ = data.load_slice(dataset, "test", 0, n, data_root)
    for task, method, extra in CHECKS:
        batch = bench.measure_slice(images, 0, task, 0, n)[0]
        scores = []
        for bf16 in (False, True):
            model, schedule, label = models[bf16]
            chosen = settings(method, task, dataset, default_checkpoints(), label) | extra
            solver = make_diffusion_solver(method, model, schedule, 0, chosen, batch.op)
            start = time.perf_counter()
            psnr = metrics.psnr(solver(batch.y, batch.op).clamp(0, 1), batch.x).mean().item()
            scores.append((psnr, (time.perf_counter() - start) / n))
        print(f"{dataset} {task} {method}{extra or ''}: float32 {scores[0][0]:.3f} dB ({scores[0][1]:.3f} s/image), "
              f"bf16 {scores[1][0]:.3f} dB ({scores[1][1]:.3f} s/image), n = {n}")


if __name__ == "__main__":
    main(*sys.argv[1:])
