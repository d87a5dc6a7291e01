import numpy as np
import pytest

from mcfn.compute import (
    OP_CLASSES,
    ComputeNode,
    Fleet,
    OpClass,
    RawMetrics,
    ServiceCatalog,
    UnknownIdError,
    Work,
    normalise,
    overall_score,
    parallel_slowdown,
)


def gpu(node_id: str = "e0", **kw) -> ComputeNode:
    args = {"tier": "edge", "kind": "gpu", "peak_flops_per_s": 1e13, "memory_bytes": 16e9, "vm_slots": 4}
    return ComputeNode.of_kind(node_id=node_id, **(args | kw))


def test_parallel_slowdown_is_the_seeds_eq2():
    assert parallel_slowdown(1, 0.3) == pytest.approx(1.0)
    assert parallel_slowdown(3, 0.1) == pytest.approx(1.21)
    np.testing.assert_allclose(parallel_slowdown([1, 2, 4], 0.5), [1.0, 1.5, 3.375])
    with pytest.raises(ValueError, match="parallel must be >= 1"):
        parallel_slowdown(0, 0.1)


def test_compute_time_sums_op_classes_and_applies_the_slowdown():
    node = ComputeNode(
        node_id="n",
        tier="edge",
        kind="cpu",
        throughput_flops_per_s={"conv": 1e9, "matmul": 2e9, "elementwise": 5e8, "other": 1e8},
        memory_bytes=1e9,
        vm_slots=2,
        degradation=0.2,
    )
    work = Work({"conv": 1e9, "matmul": 2e9, OpClass.ELEMENTWISE: 5e8})
    assert node.compute_time_s(work) == pytest.approx(3.0)
    assert node.compute_time_s(work, parallel=2) == pytest.approx(3.6)
    assert Work(4e9).per_op_flops[1] == 4e9
    assert Work(4e9, "conv").total_flops == 4e9


def test_gpu_is_faster_on_dense_work_than_on_elementwise():
    node = gpu()
    assert node.compute_time_s(Work(1e12, "matmul")) < node.compute_time_s(Work(1e12, "elementwise"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"vm_slots": 0}, "vm_slots"),
        ({"degradation": -0.1}, "degradation"),
        ({"memory_bytes": 0}, "memory_bytes"),
        ({"peak_flops_per_s": 0}, "throughput"),
    ],
)
def test_bad_nodes_are_rejected_naming_the_field(change, message):
    with pytest.raises(ValueError, match=message):
        gpu(**change)


def test_missing_op_class_is_named():
    with pytest.raises(ValueError, match="lacks op classes"):
        ComputeNode(node_id="n", tier="edge", kind="cpu", throughput_flops_per_s={"conv": 1.0}, memory_bytes=1.0)


def test_service_catalog_is_anycast_and_names_unknown_services():
    cat = ServiceCatalog({"resnet": ["e0", "e1", "cloud"], "bert": ["cloud"]})
    assert cat.hosts("resnet") == ("e0", "e1", "cloud")
    with pytest.raises(UnknownIdError, match="unknown service 'vgg'; known: bert, resnet"):
        cat.hosts("vgg")
    with pytest.raises(ValueError, match="no instances"):
        ServiceCatalog({"x": []})


def test_fleet_arrays_and_unknown_ids():
    fleet = Fleet([gpu("a"), gpu("b", kind="cpu", tier="cloud")])
    assert fleet.seconds_per_flop.shape == (2, len(OP_CLASSES))
    assert fleet.is_cloud.tolist() == [False, True]
    assert fleet.indices(["b", "a"]).tolist() == [1, 0]
    with pytest.raises(UnknownIdError, match="unknown compute node 'z'"):
        fleet.indices(["z"])
    with pytest.raises(ValueError, match="unique"):
        Fleet([gpu("a"), gpu("a")])


def test_metric_levels_rank_faster_freer_nodes_higher():
    fleet = Fleet([gpu("slow", peak_flops_per_s=1e12), gpu("fast", peak_flops_per_s=1e14), gpu("busy")])
    raw = RawMetrics.of(fleet, busy_vms=np.array([0, 0, 4]), queue_flops=np.array([0.0, 0.0, 1e12]))
    scores = normalise(raw)
    assert np.all((scores.values >= 0) & (scores.values <= 1))
    assert scores.category("compute")[1] > scores.category("compute")[0]
    assert scores.category("availability")[2] == 0.0
    l2 = overall_score(scores)
    assert l2[1] > l2[0] > l2[2] == 0.0
    with pytest.raises(ValueError, match="weights"):
        overall_score(scores, (1.0, 1.0))
