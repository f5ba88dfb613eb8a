"""The torchvision / pytorch-fid import shim (qgan/vision.py)."""

import importlib

import torch

import qgan.vision as vision
from qgan.vision import pytorch_fid, torchvision


def test_torchvision_imports_through_the_shim():
    assert torchvision.__version__.startswith("0.28.0")
    # Without the compiled ops, the shim must have declared the schemas torchvision needs.
    if not vision.COMPILED_OPS:
        assert torch._C._jit_get_schemas_for_operator("torchvision::nms")
        assert torch._C._jit_get_schemas_for_operator("torchvision::qnms")


def test_resnet50_forward_on_a_64px_image():
    model = torchvision.models.resnet50(weights=None).eval()
    with torch.no_grad():
        logits = model(torch.randn(1, 3, 64, 64))
    assert logits.shape == (1, 1000)
    assert torch.isfinite(logits).all()


def test_augmentation_transforms_run():
    t = torchvision.transforms
    pipeline = t.Compose(
        [
            t.RandomHorizontalFlip(p=1.0),
            t.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2, hue=0.05),
            t.RandomRotation(degrees=15),
        ]
    )
    torch.manual_seed(0)
    image = torch.rand(3, 64, 64)  # (C, H, W) in [0, 1]
    out = pipeline(image)
    assert out.shape == (3, 64, 64)
    assert 0.0 <= out.min() and out.max() <= 1.0


def test_pytorch_fid_inception_is_importable():
    assert pytorch_fid.__version__ == "0.3.0"
    assert isinstance(pytorch_fid.inception.InceptionV3, type)
    assert callable(pytorch_fid.fid_score.calculate_frechet_distance)


def test_importing_the_shim_twice_is_harmless():
    again = importlib.import_module("qgan.vision")
    reloaded = importlib.reload(vision)
    assert again is vision and reloaded is vision
    assert reloaded.torchvision is torchvision  # torchvision itself is not re-imported
    assert torchvision.models.resnet18(weights=None) is not None
