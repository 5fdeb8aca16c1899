"""Datasets: MNIST, CIFAR-10, Fashion-MNIST, image folders and zips, and the built-in samples.

Every loader returns `(images, labels)`: float32 tensors [N, C, H, W] in [0, 1] and int64 labels
(-1 where unknown). Sources are tried in order: the `root` argument, the `INVDRIFT_DATA` environment
variable, the cache directory (`INVDRIFT_CACHE`, default ~/.cache/invdrift), then the official
download, checked against its SHA-256.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .errors import InvdriftError
from .fileio import atomic_path, sha256_file

DATASETS = ("mnist", "cifar10", "fashion-mnist")
SHAPES = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32), "fashion-mnist": (1, 28, 28)}
MODELS_OF = {"fashion-mnist": "mnist"}  # no weights of its own: restored by the MNIST models (out of distribution)


def models_dataset(name: str) -> str:
    """The dataset whose shipped weights and train split serve `name` (itself, or MNIST for Fashion-MNIST)."""
    return MODELS_OF.get(name, name)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class Remote:
    """An official download: where it is, what it is called locally, its SHA-256."""

    url: str
    filename: str
    sha256: str


REMOTES = {
    "mnist": [Remote("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
                     "mnist.npz",
                     "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")],
    "cifar10": [Remote("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                       "cifar-10-binary.tar.gz",
                       "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd")],
}
FASHION_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
FASHION_SYSTEM_DIRS = ("/usr/share/fashion-mnist", "/usr/share/dataset-fashion-mnist",
                       "/usr/share/datasets/fashion-mnist")


def cache_dir() -> Path:
    """Where downloads and decoded arrays are kept."""
    return Path(os.environ.get("INVDRIFT_CACHE", Path.home() / ".cache" / "invdrift"))


def search_dirs(root: str | Path | None) -> list[Path]:
    """Directories searched for data files, in order."""
    dirs = []
    given = [(Path(root), "--data-root")] if root is not None else []
    if os.environ.get("INVDRIFT_DATA"):
        given.append((Path(os.environ["INVDRIFT_DATA"]), "INVDRIFT_DATA"))
    for folder, source in given:
        if not folder.is_dir():
            raise InvdriftError(f"data folder {folder} ({source}) not found: give the folder that holds "
                                "mnist.npz, cifar10.zip or the official files")
        dirs.append(folder)
    dirs.append(cache_dir())
    return dirs


def download(url: str, dest: str | Path, sha256: str, timeout: float = 60.0) -> Path:
    """Download `url` to `dest`, verify its SHA-256, and rename into place; leave nothing on failure."""
    dest = Path(dest)
    if os.environ.get("INVDRIFT_OFFLINE"):
        raise InvdriftError(f"{dest.name} not found and downloads are off (INVDRIFT_OFFLINE is set): "
                            "pass --data-root DIR or set INVDRIFT_DATA=DIR")
    try:
        with atomic_path(dest) as tmp:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
                while block := response.read(1 << 20):
                    out.write(block)
            got = sha256_file(tmp)
            if got != sha256:
                raise InvdriftError(
                    f"checksum mismatch for {url}: expected SHA-256 {sha256[:16]}…, got {got[:16]}…; "
                    "nothing was saved — try again, or place a verified copy in --data-root")
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InvdriftError(
            f"could not download {url} ({reason}); nothing was saved — with no internet, put "
            f"{dest.name} in a folder and pass --data-root DIR or set INVDRIFT_DATA=DIR") from None
    return dest


def _find(filenames: tuple[str, ...], root: str | Path | None) -> Path | None:
    for directory in search_dirs(root):
        for name in filenames:
            if (directory / name).is_file():
                return directory / name
    return None


def _fetch(name: str, root: str | Path | None) -> Path:
    """Local copy of the official file for `name`, downloading it into the cache if needed."""
    remote = REMOTES[name][0]
    found = _find((remote.filename,), root)
    if found is not None:
        return found
    return download(remote.url, cache_dir() / remote.filename, remote.sha256)


def to_float(images: np.ndarray) -> torch.Tensor:
    """uint8 [N,H,W] or [N,H,W,C] → float32 [N,C,H,W] in [0,1]."""
    if images.ndim == 3:
        images = images[:, None]
    else:
        images = images.transpose(0, 3, 1, 2)
    return torch.tensor(images, dtype=torch.float32).div_(255.0)  # a copy: read-only arrays (np.frombuffer) are fine


def _load_npz(path: Path, keys: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return arrays[keys[0]], arrays[keys[1]]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InvdriftError(f"{path}: not a readable dataset file ({exc})") from None


def _load_mnist(split: str, root: str | Path | None) -> tuple[np.ndarray, np.ndarray]:
    found = _find(("mnist.npz",), root)
    path = found if found is not None else _fetch("mnist", root)
    key = "train" if split == "train" else "test"
    return _load_npz(path, (f"x_{key}", f"y_{key}"))


def _read_idx(raw: bytes) -> np.ndarray:
    """Parse an IDX file (the MNIST format)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise InvdriftError("not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise InvdriftError("IDX file is truncated")
    return data.reshape(dims)


def _load_fashion(split: str, root: str | Path | None) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if split == "train" else "t10k"
    dirs = search_dirs(root) + [Path(d) for d in FASHION_SYSTEM_DIRS]
    for directory in dirs:
        for sub in (directory, directory / "fashion-mnist"):
            img, lab = sub / f"{prefix}-images-idx3-ubyte.gz", sub / f"{prefix}-labels-idx1-ubyte.gz"
            if img.is_file() and lab.is_file():
                try:
                    return _read_idx(gzip.decompress(img.read_bytes())), \
                        _read_idx(gzip.decompress(lab.read_bytes()))
                except (OSError, EOFError) as exc:
                    raise InvdriftError(f"{img}: cannot read ({exc})") from None
    raise InvdriftError(
        "Fashion-MNIST not found: put the four official files (" + ", ".join(FASHION_FILES)
        + ") in --data-root, or install Debian's dataset-fashion-mnist package")


def _decode_cifar_zip(path: Path) -> dict[str, np.ndarray]:
    """Decode the image-folder zip ({train,test}/<class>/<index>.<ext>) into uint8 arrays."""
    from PIL import Image

    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(IMAGE_SUFFIXES)]
        for split in ("train", "test"):
            entries = []
            for name in names:
                parts = name.split("/")
                if len(parts) >= 3 and parts[-3] == split and parts[-2] in CIFAR10_CLASSES:
                    entries.append((int(Path(parts[-1]).stem), CIFAR10_CLASSES.index(parts[-2]), name))
            entries.sort()
            if [e[0] for e in entries] != list(range(len(entries))) or not entries:
                raise InvdriftError(f"{path}: {split} images are not numbered 0..N-1")
            images = np.empty((len(entries), 32, 32, 3), dtype=np.uint8)
            for k, (_, _, name) in enumerate(entries):
                with Image.open(io.BytesIO(archive.read(name))) as image:
                    images[k] = np.asarray(image.convert("RGB"))
            out[f"x_{split}"] = images
            out[f"y_{split}"] = np.array([e[1] for e in entries], dtype=np.uint8)
    return out


def _decode_cifar_binary(path: Path) -> dict[str, np.ndarray]:
    """Decode the official binary archive (no pickle involved)."""
    files = {f"data_batch_{i}.bin": "train" for i in range(1, 6)} | {"test_batch.bin": "test"}
    chunks: dict[str, list[np.ndarray]] = {"train": [], "test": []}
    with tarfile.open(path, "r:gz") as archive:
        members = {Path(m.name).name: m for m in archive.getmembers() if m.isfile()}
        for name, split in files.items():
            if name not in members:
                raise InvdriftError(f"{path}: missing {name}")
            raw = archive.extractfile(members[name]).read()
            chunks[split].append(np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3073))
    out = {}
    for split, parts in chunks.items():
        records = np.concatenate(parts)
        out[f"y_{split}"] = records[:, 0].copy()
        out[f"x_{split}"] = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    return out


LOSSY_SUFFIXES = (".jpg", ".jpeg")
OFFLINE_JPEG_QUALITY = 75  # the JPEG quality of the offline CIFAR-10 copy's lossy training images


def lossy_share(name: str, split: str = "train", root: str | Path | None = None) -> float:
    """Fraction of a split's images that its source stores as JPEG (the offline CIFAR-10 zip holds JPEG
    copies of many training images); 0 for the official files and the other datasets."""
    source = _find(("cifar10.zip",), root) if name == "cifar10" else None
    if source is None:
        return 0.0
    with zipfile.ZipFile(source) as archive:
        names = [n.lower() for n in archive.namelist() if n.lower().endswith(IMAGE_SUFFIXES)]
    in_split = [n for n in names if len(n.split("/")) >= 3 and n.split("/")[-3] == split]
    return sum(n.endswith(LOSSY_SUFFIXES) for n in in_split) / max(1, len(in_split))


def _load_cifar10(split: str, root: str | Path | None) -> tuple[np.ndarray, np.ndarray]:
    source = _find(("cifar10.zip", "cifar-10-binary.tar.gz"), root)
    if source is None:
        source = _fetch("cifar10", root)
    cached = cache_dir() / f"cifar10-{sha256_file(source)[:16]}.npz"
    if not cached.is_file():
        print(f"decoding {source} once into {cached} …", flush=True)
        arrays = (_decode_cifar_zip(source) if source.suffix == ".zip" else _decode_cifar_binary(source))
        with atomic_path(cached) as tmp:
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)
    key = "train" if split == "train" else "test"
    return _load_npz(cached, (f"x_{key}", f"y_{key}"))


def _load_folder(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """All images of a folder or zip (its `split` sub-folder if there is one), sorted by name."""
    from PIL import Image, UnidentifiedImageError

    def decode(blobs: list[tuple[str, bytes]]) -> np.ndarray:
        if not blobs:
            raise InvdriftError(f"{path}: no images found")
        images = []
        for name, blob in blobs:
            try:
                with Image.open(io.BytesIO(blob)) as image:
                    images.append(image.convert("RGB") if image.mode not in ("L", "1") else image.convert("L"))
            except (UnidentifiedImageError, OSError) as exc:
                raise InvdriftError(f"{name}: not a readable image ({exc})") from None
        gray = all(im.mode == "L" for im in images)
        arrays = [np.asarray(im if gray else im.convert("RGB")) for im in images]
        if len({a.shape for a in arrays}) != 1:
            raise InvdriftError(f"{path}: images have different sizes {sorted({a.shape for a in arrays})}")
        return np.stack(arrays)

    if path.is_dir():
        base = path / split if (path / split).is_dir() else path
        files = sorted(p for p in base.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        blobs = [(str(p), p.read_bytes()) for p in files]
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = sorted(n for n in archive.namelist() if n.lower().endswith(IMAGE_SUFFIXES))
            in_split = [n for n in names if n.split("/")[0] == split]
            blobs = [(f"{path}:{n}", archive.read(n)) for n in (in_split or names)]
    else:
        raise InvdriftError(f"{path}: not a folder or zip of images")
    images = decode(blobs)
    return images, np.full(len(images), -1, dtype=np.int64)


def load_uint8(name: str, split: str = "train", root: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Raw uint8 images [N,H,W] or [N,H,W,C] and labels."""
    if split not in ("train", "test"):
        raise InvdriftError(f"unknown split {split!r} (use train or test)")
    if name == "mnist":
        return _load_mnist(split, root)
    if name == "cifar10":
        return _load_cifar10(split, root)
    if name == "fashion-mnist":
        return _load_fashion(split, root)
    path = Path(name)
    if path.exists():
        return _load_folder(path, split)
    raise InvdriftError(f"unknown dataset {name!r}: use one of {', '.join(DATASETS)} or a folder/zip of images")


def load(name: str, split: str = "train", root: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images float32 [N,C,H,W] in [0,1] and int64 labels of dataset `name` and `split`."""
    images, labels = load_uint8(name, split, root)
    return to_float(images), torch.from_numpy(labels.astype(np.int64))


def load_slice(name: str, split: str, offset: int, n: int,
               root: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images offset … offset+n−1 of a split (the protocol's evaluation slice)."""
    images, labels = load_uint8(name, split, root)
    if offset < 0 or n <= 0 or offset + n > len(images):
        raise InvdriftError(f"slice {offset}…{offset + n - 1} is outside {name}/{split} (0…{len(images) - 1})")
    return to_float(images[offset:offset + n]), torch.from_numpy(labels[offset:offset + n].astype(np.int64))


SAMPLES_DIR = Path(__file__).parent / "samples"


def samples(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The built-in sample set: the first test images of `name`, shipped with the package."""
    path = SAMPLES_DIR / f"{name}.npz"
    if not path.is_file():
        raise InvdriftError(f"no built-in samples for {name!r} (have: mnist, cifar10)")
    images, labels = _load_npz(path, ("x", "y"))
    return to_float(images), torch.from_numpy(labels.astype(np.int64))


def make_samples(name: str, root: str | Path | None, count: int = 32) -> Path:
    """Write the built-in sample set: test images 0 … count−1 as uint8."""
    images, labels = load_uint8(name, "test", root)
    path = SAMPLES_DIR / f"{name}.npz"
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, x=images[:count], y=labels[:count])
    return path
