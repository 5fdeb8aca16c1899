import hashlib
import io
import http.server
import threading
import zipfile
from functools import partial

import numpy as np
import pytest
import torch
from PIL import Image

from invdrift import data
from invdrift.errors import InvdriftError

MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_builtin_samples():
    for name, shape in [("mnist", (1, 28, 28)), ("cifar10", (3, 32, 32))]:
        x, y = data.samples(name)
        assert x.shape[1:] == shape and len(x) >= 24 and x.dtype == torch.float32
        assert 0 <= x.min() and x.max() <= 1 and len(y) == len(x)


def test_real_mnist_and_cifar10(data_root):
    x, y = data.load("mnist", "train", data_root)
    assert x.shape == (60000, 1, 28, 28)
    x, y = data.load("mnist", "test", data_root)
    assert x.shape == (10000, 1, 28, 28) and y.bincount().tolist() == MNIST_TEST_COUNTS
    x, y = data.load("cifar10", "train", data_root)
    assert x.shape == (50000, 3, 32, 32) and y.bincount().tolist() == [5000] * 10
    x, y = data.load("cifar10", "test", data_root)
    assert x.shape == (10000, 3, 32, 32) and y.bincount().tolist() == [1000] * 10
    # the built-in samples are the first test images
    s, _ = data.samples("cifar10")
    assert torch.equal(s, x[: len(s)])


@pytest.fixture
def http_server(tmp_path):
    """A local HTTP server on loopback serving tmp_path/served."""
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_download_checks_sha256(http_server, tmp_path):
    served, url = http_server
    payload = b"invdrift test payload" * 1000
    (served / "file.bin").write_bytes(payload)
    good = hashlib.sha256(payload).hexdigest()
    dest = tmp_path / "cache" / "file.bin"
    assert data.download(f"{url}/file.bin", dest, good).read_bytes() == payload
    dest.unlink()
    with pytest.raises(InvdriftError, match="checksum mismatch"):
        data.download(f"{url}/file.bin", dest, "0" * 64)
    assert not dest.exists() and list(dest.parent.iterdir()) == []  # no partial or temp file left
    with pytest.raises(InvdriftError, match="could not download"):
        data.download(f"{url}/missing.bin", dest, good)
    assert list(dest.parent.iterdir()) == []


def test_download_of_a_dataset_from_a_mirror(http_server, offline, monkeypatch):
    served, url = http_server
    monkeypatch.delenv("INVDRIFT_OFFLINE")
    arrays = {"x_train": np.zeros((5, 28, 28), np.uint8), "y_train": np.arange(5, dtype=np.uint8),
              "x_test": np.full((3, 28, 28), 255, np.uint8), "y_test": np.arange(3, dtype=np.uint8)}
    np.savez(served / "mnist.npz", **arrays)
    sha = hashlib.sha256((served / "mnist.npz").read_bytes()).hexdigest()
    monkeypatch.setitem(data.REMOTES, "mnist", [data.Remote(f"{url}/mnist.npz", "mnist.npz", sha)])
    x, y = data.load("mnist", "test")
    assert x.shape == (3, 1, 28, 28) and x.min() == 1.0 and (data.cache_dir() / "mnist.npz").is_file()


def test_missing_data_offline_is_a_clear_error(offline):
    with pytest.raises(InvdriftError, match="--data-root"):
        data.load("mnist", "train")
    with pytest.raises(InvdriftError, match="unknown dataset"):
        data.load("imagenet", "train")
    with pytest.raises(InvdriftError, match="unknown split"):
        data.load("mnist", "val")


def test_a_data_folder_that_does_not_exist_says_so(offline, monkeypatch):
    with pytest.raises(InvdriftError, match="data folder .*nowhere.* not found"):
        data.load("mnist", "train", offline / "nowhere")
    monkeypatch.setenv("INVDRIFT_DATA", str(offline / "also-nowhere"))
    with pytest.raises(InvdriftError, match="INVDRIFT_DATA"):
        data.load("mnist", "train")


def _write_images(folder, sizes, mode="RGB"):
    folder.mkdir(parents=True)
    for i, size in enumerate(sizes):
        Image.fromarray(np.full((*size, 3), i * 40, np.uint8)).convert(mode).save(folder / f"{i:03d}.png")


def test_image_folder_and_zip(tmp_path):
    _write_images(tmp_path / "imgs", [(32, 32)] * 3)
    x, y = data.load(str(tmp_path / "imgs"), "test")
    assert x.shape == (3, 3, 32, 32) and (y == -1).all()
    assert abs(x[1].mean().item() - 40 / 255) < 1e-6
    _write_images(tmp_path / "gray", [(28, 28)] * 2, mode="L")
    assert data.load(str(tmp_path / "gray"), "test")[0].shape == (2, 1, 28, 28)
    with zipfile.ZipFile(tmp_path / "imgs.zip", "w") as z:
        for p in sorted((tmp_path / "imgs").iterdir()):
            z.write(p, f"test/{p.name}")
    assert data.load(str(tmp_path / "imgs.zip"), "test")[0].shape == (3, 3, 32, 32)


def test_image_folder_errors(tmp_path):
    _write_images(tmp_path / "mixed", [(32, 32), (28, 28)])
    with pytest.raises(InvdriftError, match="different sizes"):
        data.load(str(tmp_path / "mixed"), "test")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"not an image")
    with pytest.raises(InvdriftError, match="not a readable image"):
        data.load(str(tmp_path / "bad"), "test")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvdriftError, match="no images"):
        data.load(str(tmp_path / "empty"), "test")


def test_cifar_binary_archive(tmp_path, monkeypatch):
    """The official binary layout decodes without pickle, in the official order."""
    import io
    import tarfile

    monkeypatch.setenv("INVDRIFT_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    archive = tmp_path / "root" / "cifar-10-binary.tar.gz"
    archive.parent.mkdir()
    expected = {}
    with tarfile.open(archive, "w:gz") as tar:
        for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
            records = rng.integers(0, 256, (2, 3073), dtype=np.uint8)
            records[:, 0] %= 10
            expected[name] = records
            blob = records.tobytes()
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    x, y = data.load("cifar10", "test", archive.parent)
    rec = expected["test_batch.bin"]
    assert x.shape == (2, 3, 32, 32) and y.tolist() == rec[:, 0].tolist()
    assert torch.equal((x[0] * 255).round().byte().flatten(), torch.from_numpy(rec[0, 1:].copy()))


def test_lossy_share_counts_the_jpeg_copies_of_a_split(tmp_path, offline):
    image = Image.new("RGB", (32, 32), (10, 20, 30))
    with zipfile.ZipFile(tmp_path / "cifar10.zip", "w") as z:
        for name in ("train/cat/00000.png", "train/cat/00001.jpg", "train/dog/00002.JPG", "train/dog/00003.png",
                     "test/cat/00000.png"):
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG" if name.lower().endswith(".jpg") else "PNG")
            z.writestr(name, buffer.getvalue())
    assert data.lossy_share("cifar10", "train", tmp_path) == 0.5
    assert data.lossy_share("cifar10", "test", tmp_path) == 0.0
    assert data.lossy_share("mnist", "train", tmp_path) == 0.0
    (tmp_path / "empty").mkdir()
    assert data.lossy_share("cifar10", "train", tmp_path / "empty") == 0.0
