"""The torch.fx profiler: flops by hand on a small model, errors that name the module, the zoo in sync."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from mcfn.models.io import dump_graph  # noqa: E402
from mcfn.models.profile import ProfileError, profile_model  # noqa: E402
from mcfn.models.zoo import build_model, example_input, load_zoo_graph  # noqa: E402


class Small(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.fc = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pool(torch.relu(self.bn(self.conv(x))))  # [1, 8, 4, 4]
        tokens = y.flatten(2).transpose(1, 2)  # [1, 16, 8]
        mixed = self.attn(tokens, tokens, tokens, need_weights=False)[0]
        gram = torch.matmul(mixed, mixed.transpose(1, 2))  # [1, 16, 16]
        both = torch.cat([tokens + mixed, tokens], dim=1)  # [1, 32, 8]
        return self.fc(both).mean() + gram.sum()


def _flops(graph, op: str) -> float:
    return sum(n.flops for n in graph.nodes if n.op == op)


def test_flops_shapes_and_bytes_by_hand() -> None:
    graph = profile_model(Small(), torch.randn(1, 3, 8, 8), name="small").graph
    assert _flops(graph, "conv2d") == 2 * (8 * 8 * 8) * 3 * 9
    assert _flops(graph, "batchnorm2d") == 2 * 8 * 8 * 8
    assert _flops(graph, "relu") == 8 * 8 * 8
    assert _flops(graph, "maxpool2d") == 8 * 4 * 4 * 4
    assert _flops(graph, "matmul") == 2 * 16 * 16 * 8
    assert _flops(graph, "cat") == 0
    assert _flops(graph, "add") == 16 * 8 + 1
    assert _flops(graph, "linear") == 2 * 32 * 5 * 8 + 32 * 5
    attention = 2 * 4 * 16 * 8 * 8 + 4 * 16 * 16 * 8 + 3 * 2 * 16 * 16
    assert _flops(graph, "multiheadattention") == attention
    conv = next(n for n in graph.nodes if n.op == "conv2d")
    assert conv.param_bytes == 8 * 3 * 9 * 4
    assert conv.output_shape == (1, 8, 8, 8)
    assert conv.output_bytes == 8 * 8 * 8 * 4
    assert graph.nodes[graph.input_index].output_bytes == 3 * 8 * 8 * 4
    assert len(graph.outputs) == 1


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(4, 4)
        self.gate = Gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gate(self.head(x))


class Gate(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:  # data-dependent control flow: fx cannot trace it
            return x
        return -x


def test_untraceable_model_names_the_module() -> None:
    with pytest.raises(ProfileError, match=r"cannot trace module gate \(Gate\): .*control flow"):
        profile_model(Branchy(), torch.randn(1, 4), name="branchy")


def test_wrong_input_shape_is_one_line() -> None:
    with pytest.raises(ProfileError, match=r"running on an input of shape \[1, 5\] failed"):
        profile_model(nn.Linear(4, 2), torch.randn(1, 5), name="lin")


def test_shipped_zoo_matches_a_fresh_profile() -> None:
    fresh = profile_model(build_model("resnet18"), example_input("resnet18"), name="resnet18").graph
    assert dump_graph(fresh) == dump_graph(load_zoo_graph("resnet18"))
