"""The six degradations of the benchmark protocol: y = A(x) + σ·n.

Every operator has `A` (forward), `At` (exact adjoint), `pinv` (pseudo-inverse or its stand-in:
zero-fill, nearest upsampling, identity), `sigma`, `observed` (mask of observed values in y) and
`measure(x, indices, seed)`. Each also exposes its singular value decomposition A = U Σ Vᵀ in closed
form (`to_spectral` = Vᵀ, `from_spectral` = V, `singular_values` = Σ, `spectral_measurement` = Uᵀ,
`from_spectral_measurement` = U) and the proximal step `prox` built on it, which spectral solvers
(DDRM, DiffPIR) use instead of asking for the task's name. The random inpainting mask belongs to each test image, so
`for_images(indices, seed)` returns the operator bound to those images' masks; `measure` binds itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F

from .errors import InvdriftError
from .operator_params import BLUR_SIZE, BLUR_STD, MISSING_PROBABILITY, SIGMAS, TASKS, full_spec, resolve, short_spec



def image_generator(seed: int, index: int) -> torch.Generator:
    """The generator that draws test image `index`'s mask and noise (protocol seeding)."""
    return torch.Generator().manual_seed(seed * 1_000_003 + int(index))


def gaussian_kernel(size: int = BLUR_SIZE, std: float = BLUR_STD) -> torch.Tensor:
    """Normalised 2-D Gaussian kernel [size, size] (float64)."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(r ** 2) / (2 * std ** 2))
    kernel = g[:, None] * g[None, :]
    return kernel / kernel.sum()


def _check_batch(x: torch.Tensor, shape: tuple[int, int, int], what: str) -> None:
    if x.ndim != 4 or tuple(x.shape[1:]) != tuple(shape):
        raise InvdriftError(f"{what} has shape {tuple(x.shape)}, expected [N, {shape[0]}, {shape[1]}, {shape[2]}]")


@dataclass
class Operator:
    """Base class: a linear measurement operator on images of `shape` = (C, H, W)."""

    task: str
    shape: tuple[int, int, int]
    sigma: float
    params: dict = field(default_factory=dict)  # every operator parameter (operator_params), set by make()

    @property
    def spec(self) -> str:
        """The full operator, every parameter included: 'deblur:sigma=0.05,size=9,std=1.5'."""
        return full_spec(self.task, self.params or {"sigma": self.sigma})

    @property
    def name(self) -> str:
        """The task with only its parameters that differ from v1 ('deblur', 'deblur:std=2')."""
        return short_spec(self.task, self.params, self.shape) if self.params else self.task

    @property
    def is_v1(self) -> bool:
        """Exactly the task's v1 operator (no parameter moved)."""
        return self.name == self.task

    @property
    def y_shape(self) -> tuple[int, int, int]:
        return self.shape

    def A(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def At(self, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def pinv(self, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def observed(self, y: torch.Tensor) -> torch.Tensor:
        """Boolean/float mask (broadcastable to y) of values of y that are measured."""
        return torch.ones_like(y)

    # --- singular value decomposition A = U Σ Vᵀ (spectral coordinates c = Vᵀ x) ---
    def to_spectral(self, x: torch.Tensor) -> torch.Tensor:
        """c = Vᵀ x (V orthonormal; the coordinates may be complex)."""
        raise NotImplementedError

    def from_spectral(self, c: torch.Tensor) -> torch.Tensor:
        """x = V c (real images)."""
        raise NotImplementedError

    def singular_values(self, like: torch.Tensor) -> torch.Tensor:
        """Σ ≥ 0, broadcastable to the spectral coordinates `like` (0 on the null space)."""
        raise NotImplementedError

    def spectral_measurement(self, y: torch.Tensor) -> torch.Tensor:
        """Uᵀ y in spectral coordinates (0 where Σ = 0), so that Uᵀ A x = Σ · Vᵀ x."""
        raise NotImplementedError

    def from_spectral_measurement(self, c: torch.Tensor) -> torch.Tensor:
        """y = U c (c in spectral coordinates; entries where Σ = 0 are ignored)."""
        raise NotImplementedError

    def prox(self, z: torch.Tensor, rho: torch.Tensor | float, y: torch.Tensor) -> torch.Tensor:
        """argmin_x ‖A x − y‖² + ρ‖x − z‖² = V (Σ Uᵀy + ρ Vᵀz)/(Σ² + ρ); ρ a scalar or one per image."""
        c = self.to_spectral(z)
        s = self.singular_values(c)
        rho = torch.as_tensor(rho, dtype=s.dtype).reshape(-1, *[1] * (c.ndim - 1)) if torch.is_tensor(rho) else rho
        return self.from_spectral((s * self.spectral_measurement(y) + rho * c) / (s * s + rho)).to(z.dtype)

    def num_observed(self, y: torch.Tensor) -> torch.Tensor:
        """m per image: the number of measured values."""
        return self.observed(y).expand_as(y).flatten(1).sum(1)

    def for_images(self, indices: torch.Tensor | list[int], seed: int = 0) -> "Operator":
        """The operator for these test images (differs from self only for random masks)."""
        return self

    def select(self, rows: slice) -> "Operator":
        """The operator for a sub-batch of the images it is bound to."""
        return self

    def measure(self, x: torch.Tensor, indices, seed: int = 0) -> torch.Tensor:
        """y = A(x) + σ·n with per-image noise seeded by `seed * 1_000_003 + index`."""
        _check_batch(x, self.shape, "image batch")
        indices = _as_list(indices)
        if len(indices) != x.shape[0]:
            raise InvdriftError(f"{len(indices)} indices for {x.shape[0]} images")
        bound = self.for_images(indices, seed)
        generators = [image_generator(seed, i) for i in indices]
        if isinstance(bound, RandomInpaint):
            for g in generators:  # the mask is drawn first from the same stream
                torch.rand(self.shape[1:], generator=g)
        noise = torch.stack([torch.randn(self.y_shape, generator=g) for g in generators])
        clean = bound.A(x)
        return clean + self.sigma * noise.to(clean.dtype) * bound.observed(clean)

    def sample_measurement(self, x: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, "Operator"]:
        """A training measurement: fresh noise (and masks) from `generator`; returns (y, bound operator)."""
        bound = self
        if isinstance(self, RandomInpaint):
            _, h, w = self.shape
            mask = (torch.rand(x.shape[0], 1, h, w, generator=generator) >= self.missing).float()
            bound = self.with_mask(mask)
        clean = bound.A(x)
        noise = torch.randn(clean.shape, generator=generator)
        return clean + self.sigma * noise * bound.observed(clean), bound

    def pinv_noise(self) -> float | None:
        """Std of the i.i.d. Gaussian noise that A†y carries at every pixel, if it is that (else None)."""
        return None

    def check_measurement(self, y: torch.Tensor) -> None:
        """Raise a clear error for a measurement of the wrong shape or with NaN/Inf."""
        _check_batch(y, self.y_shape, f"measurement for {self.task}")
        if not torch.isfinite(y).all():
            raise InvdriftError(f"measurement for {self.task} contains NaN or Inf")


def _as_list(indices) -> list[int]:
    if isinstance(indices, torch.Tensor):
        return [int(i) for i in indices.flatten().tolist()]
    return [int(i) for i in indices]


@dataclass
class Identity(Operator):
    """Denoising: A = I."""

    def A(self, x):
        return x

    def At(self, y):
        return y

    def pinv(self, y):
        return y

    def pinv_noise(self):
        return self.sigma

    def to_spectral(self, x):
        return x

    def from_spectral(self, c):
        return c

    def singular_values(self, like):
        return torch.ones((), dtype=like.real.dtype)

    def spectral_measurement(self, y):
        return y

    def from_spectral_measurement(self, c):
        return c


@dataclass
class Blur(Operator):
    """Circular Gaussian blur per channel, applied in Fourier space (A and At exact)."""

    std: float = BLUR_STD
    size: int = BLUR_SIZE
    kernel_fft: torch.Tensor = field(init=False, repr=False)

    def __post_init__(self):
        _, h, w = self.shape
        kernel = gaussian_kernel(self.size, self.std)
        padded = torch.zeros(h, w, dtype=torch.float64)
        k = kernel.shape[0]
        padded[:k, :k] = kernel
        padded = torch.roll(padded, shifts=(-(k // 2), -(k // 2)), dims=(0, 1))  # centre at (0, 0)
        self.kernel_fft = torch.fft.fft2(padded)

    def _apply(self, x: torch.Tensor, transfer: torch.Tensor) -> torch.Tensor:
        out = torch.fft.ifft2(torch.fft.fft2(x.double()) * transfer).real
        return out.to(x.dtype)

    def A(self, x):
        return self._apply(x, self.kernel_fft)

    def At(self, y):
        return self._apply(y, self.kernel_fft.conj())

    def pinv(self, y):
        return y  # the protocol's `pinv` for deblurring is the identity (the true inverse is unstable)

    # A = F* diag(k̂) F with the unitary DFT F: V = F*, Σ = |k̂|, U = F* diag(k̂/|k̂|)
    def to_spectral(self, x):
        return torch.fft.fft2(x.double(), norm="ortho")

    def from_spectral(self, c):
        return torch.fft.ifft2(c, norm="ortho").real

    def singular_values(self, like):
        return self.kernel_fft.abs()

    def _phase(self) -> torch.Tensor:
        magnitude = self.kernel_fft.abs()
        return torch.where(magnitude > 0, self.kernel_fft / magnitude.clamp_min(1e-300), torch.ones_like(self.kernel_fft))

    def spectral_measurement(self, y):
        return self._phase().conj() * torch.fft.fft2(y.double(), norm="ortho")

    def from_spectral_measurement(self, c):
        return torch.fft.ifft2(self._phase() * c, norm="ortho").real


@dataclass
class BlockMean(Operator):
    """Super-resolution: mean over non-overlapping factor×factor blocks."""

    factor: int = 2

    @property
    def y_shape(self):
        c, h, w = self.shape
        return (c, h // self.factor, w // self.factor)

    def A(self, x):
        return F.avg_pool2d(x, self.factor)

    def At(self, y):
        return torch.repeat_interleave(torch.repeat_interleave(y, self.factor, -2), self.factor, -1) / self.factor ** 2

    def pinv(self, y):
        return self.At(y) * self.factor ** 2  # nearest upsampling: A·pinv = I

    # Per block of k×k pixels (k = factor): V = H, the Householder reflection that maps the first unit
    # vector to the constant vector 1/k; Σ = (1/k, 0, …, 0); U = I. Spectral shape [N, C, H/k, W/k, k²].
    def _blocks(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        k = self.factor
        return x.reshape(n, c, h // k, k, w // k, k).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h // k, w // k, k * k)

    def _reflection(self, dtype: torch.dtype) -> torch.Tensor:
        k2 = self.factor ** 2
        v = -torch.full((k2,), 1.0 / self.factor, dtype=torch.float64)
        v[0] += 1.0
        return (torch.eye(k2, dtype=torch.float64) - 2 * torch.outer(v, v) / v.dot(v)).to(dtype)

    def to_spectral(self, x):
        return self._blocks(x) @ self._reflection(x.dtype)  # H is symmetric: row-vector form of H·block

    def from_spectral(self, c):
        blocks = c @ self._reflection(c.dtype)
        n, ch, hb, wb, _ = blocks.shape
        k = self.factor
        return blocks.reshape(n, ch, hb, wb, k, k).permute(0, 1, 2, 4, 3, 5).reshape(n, ch, hb * k, wb * k)

    def singular_values(self, like):
        s = torch.zeros(self.factor ** 2, dtype=like.real.dtype)
        s[0] = 1.0 / self.factor
        return s

    def spectral_measurement(self, y):
        out = y.new_zeros(*y.shape, self.factor ** 2)
        out[..., 0] = y
        return out

    def from_spectral_measurement(self, c):
        return c[..., 0]


@dataclass
class Inpaint(Operator):
    """Inpainting with a fixed mask [1 or N, 1, H, W] (1 = observed); missing pixels are 0 in y."""

    mask: torch.Tensor | None = None

    def A(self, x):
        return x * self.mask.to(x.dtype)

    def At(self, y):
        return y * self.mask.to(y.dtype)

    def pinv(self, y):
        return self.At(y)

    def observed(self, y):
        return self.mask.to(y.dtype).expand(y.shape[0], *self.mask.shape[1:]) if self.mask.shape[0] == 1 \
            else self.mask.to(y.dtype)

    # V = U = I, Σ = the mask
    def to_spectral(self, x):
        return x

    def from_spectral(self, c):
        return c

    def singular_values(self, like):
        return self.observed(like)

    def spectral_measurement(self, y):
        return y * self.observed(y)

    def from_spectral_measurement(self, c):
        return c * self.observed(c)


def box_mask(shape: tuple[int, int, int], side: int | None = None) -> torch.Tensor:
    """Centred square hole, of side H/2 by default (MNIST rows/cols 7–20, CIFAR 8–23)."""
    _, h, w = shape
    mask = torch.ones(1, 1, h, w)
    side = h // 2 if side is None else side
    top, left = (h - side) // 2, (w - side) // 2
    mask[..., top:top + side, left:left + side] = 0
    return mask


@dataclass
class RandomInpaint(Inpaint):
    """Each pixel position missing with probability `missing` (0.7 in v1), drawn per test image."""

    missing: float = MISSING_PROBABILITY

    def A(self, x):
        self._require_mask(x)
        return super().A(x)

    def At(self, y):
        self._require_mask(y)
        return super().At(y)

    def observed(self, y):
        self._require_mask(y)
        return super().observed(y)

    def _require_mask(self, t: torch.Tensor) -> None:
        if self.mask is None:
            raise InvdriftError("inpaint_random needs its per-image masks: call operator.for_images(indices, seed)")
        if self.mask.shape[0] not in (1, t.shape[0]):
            raise InvdriftError(f"inpaint_random operator holds {self.mask.shape[0]} masks, got {t.shape[0]} images")

    def for_images(self, indices, seed: int = 0) -> "RandomInpaint":
        _, h, w = self.shape
        masks = [(torch.rand(h, w, generator=image_generator(seed, i)) >= self.missing).float()
                 for i in _as_list(indices)]
        return self.with_mask(torch.stack(masks)[:, None])

    def select(self, rows: slice) -> "RandomInpaint":
        return self if self.mask is None or self.mask.shape[0] == 1 else self.with_mask(self.mask[rows])

    def with_mask(self, mask: torch.Tensor) -> "RandomInpaint":
        """The operator with an explicit mask [N or 1, 1, H, W]."""
        return replace(self, mask=mask.float())


def make(spec: str, shape: tuple[int, int, int] | torch.Size) -> Operator:
    """The protocol operator for a task, optionally with parameters (`deblur:std=2.0,sigma=0.1`), on
    images of `shape` = (C, H, W)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3:
        raise InvdriftError(f"image shape must be (C, H, W), got {shape}")
    task, params = resolve(spec, shape)
    common = {"task": task, "shape": shape, "sigma": params["sigma"], "params": params}
    if task == "denoise":
        return Identity(**common)
    if task == "deblur":
        return Blur(**common, std=params["std"], size=params["size"])
    if task in ("sr2", "sr4"):
        factor = int(task[2])
        if shape[1] % factor or shape[2] % factor:
            raise InvdriftError(f"{task} needs H and W divisible by {factor}, got {shape}")
        return BlockMean(**common, factor=factor)
    if task == "inpaint_box":
        return Inpaint(**common, mask=box_mask(shape, params["size"]))
    return RandomInpaint(**common, mask=None, missing=params["missing"])
