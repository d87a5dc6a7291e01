"""The torch.fx profiler: flops by hand on small models (dense work however it is hidden: functional
convolutions, einsum, opaque fx leaf functions), values that are not tensors, errors that name the module, the zoo
in sync."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from mcfn.compute.node import OpClass  # noqa: E402
from mcfn.models.io import dump_graph  # noqa: E402
from mcfn.models.profile import ProfileError, profile_model  # noqa: E402
from mcfn.models.zoo import build_model, example_input, load_zoo_graph  # noqa: E402
from mcfn.partition.stages import layer_class  # noqa: E402


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
    assert _flops(graph, "batchnorm2d") == 8 * 8 * 8  # one fused scale-and-shift per element
    assert _flops(graph, "relu") == 8 * 8 * 8
    assert _flops(graph, "maxpool2d") == 8 * 4 * 4 * 4
    assert _flops(graph, "matmul") == 2 * 16 * 16 * 8
    assert _flops(graph, "cat") == 0
    assert _flops(graph, "add") == 16 * 8 + 1
    assert _flops(graph, "linear") == 2 * 32 * 5 * 8  # torch's counter: multiply-accumulates only
    projections, scores_and_mix = 4 * (2 * 16 * 8 * 8), 2 * (2 * 16 * 16 * 8)  # q, k, v, out; q.kT, p.v
    assert _flops(graph, "multiheadattention") == projections + scores_and_mix
    assert {n.op: n.op_class for n in graph.nodes if n.op_class} == {
        "conv2d": "conv",
        "multiheadattention": "matmul",
        "matmul": "matmul",
        "linear": "matmul",
    }
    conv = next(n for n in graph.nodes if n.op == "conv2d")
    assert conv.param_bytes == 8 * 3 * 9 * 4
    assert conv.output_shape == (1, 8, 8, 8)
    assert conv.output_bytes == 8 * 8 * 8 * 4
    assert graph.nodes[graph.input_index].output_bytes == 3 * 8 * 8 * 4
    assert len(graph.outputs) == 1


class Conv3DSimple(nn.Conv3d):
    """As torchvision's video models define it: a subclass outside torch.nn, so fx traces into ``F.conv3d``."""


@torch.fx.wrap
def window_attention(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """An opaque fx leaf hiding a projection and an attention product (as torchvision's shifted windows do)."""
    q = x @ weight
    return torch.softmax(q @ q.transpose(-1, -2), dim=-1) @ q


class Hidden(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = Conv3DSimple(2, 4, 3, padding=1, bias=False)
        self.weight = nn.Parameter(torch.randn(4, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)  # [1, 4, 2, 3, 3]
        tokens = y.flatten(2).transpose(1, 2)  # [1, 18, 4]
        mixed = torch.einsum("bik,bjk->bij", tokens, tokens)  # [1, 18, 18]
        return window_attention(tokens, self.weight).sum() + mixed.sum()


def test_dense_work_counted_wherever_it_hides() -> None:
    graph = profile_model(Hidden(), torch.randn(1, 2, 2, 3, 3), name="hidden").graph
    by_op = {n.op: n for n in graph.nodes}
    assert by_op["conv3d"].flops == 2 * (4 * 2 * 3 * 3) * 2 * 27
    assert by_op["conv3d"].op_class == "conv"
    assert by_op["einsum"].flops == 2 * 18 * 18 * 4
    assert by_op["window_attention"].flops == 2 * 18 * 4 * 4 + 2 * 18 * 18 * 4 + 2 * 18 * 18 * 4
    assert by_op["einsum"].op_class == by_op["window_attention"].op_class == "matmul"
    assert by_op["sum"].op_class == ""  # element-wise work: the hand rules, classed by name
    classes = {op: layer_class(node) for op, node in by_op.items()}  # what the per-class throughput model uses
    assert classes["conv3d"] is OpClass.CONV
    assert classes["einsum"] is classes["window_attention"] is OpClass.MATMUL
    assert classes["sum"] is OpClass.OTHER


class Attentions(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = self.attn(x, x, x, need_weights=False)[0]
        return nn.functional.scaled_dot_product_attention(mixed, mixed, mixed)


def test_fused_attention_kernels_are_counted_as_their_matmuls() -> None:
    # On a CPU, without grad, both would run fused kernels that torch's counter does not see (zero flops).
    graph = profile_model(Attentions(), torch.randn(1, 16, 8), name="attentions").graph
    by_op = {n.op: n for n in graph.nodes}
    assert by_op["multiheadattention"].flops == 4 * (2 * 16 * 8 * 8) + 2 * (2 * 16 * 16 * 8)
    assert by_op["scaled_dot_product_attention"].flops == 2 * (2 * 16 * 16 * 8)
    assert torch.backends.mha.get_fastpath_enabled()  # the profiler turned the fast path back on


class Resize(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]  # a torch.Size computed from the input: it can cross a cut
        return nn.functional.interpolate(torch.relu(x), size=size)


def test_values_that_are_not_tensors_have_their_bytes() -> None:
    graph = profile_model(Resize(), torch.randn(1, 2, 4, 4), name="resize").graph
    by_op = {n.op: n for n in graph.nodes}
    assert by_op["getattr"].output_bytes == 4 * 8  # torch.Size of four ints
    assert by_op["getitem"].output_bytes == 2 * 8
    assert by_op["interpolate"].output_bytes == 2 * 16 * 4


def test_meta_device_gives_the_graph_without_computing() -> None:
    model, x = build_model("resnet18"), example_input("resnet18")
    assert profile_model(model.to("meta"), x.to("meta"), name="resnet18").graph == load_zoo_graph("resnet18")


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
