"""The simulation scenario as typed, frozen pydantic models: validated once, at the boundary.

Every field, unit and default is documented in ``docs/formats/simulation-scenario.md``; the field names carry
their units.
A service is an explicit stage list (FLOPs per op class, output bits) or a model of the zoo with a split
specification; :func:`mcfn.scenario.zoo.derive_zoo_stages` derives the stage list of the latter by driving
:mod:`mcfn.partition` once the scenario is valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, model_validator

from mcfn.allocation.problem import MBIT, AccuracyCurve
from mcfn.compute.node import ComputeNode, Kind, OpClass, Tier
from mcfn.compute.power import ServerPower
from mcfn.models.zoo import PUBLISHED_TOP1, PUBLISHED_TOP1_INT8, load_zoo_graph
from mcfn.network.topology.builders import HexSpec
from mcfn.network.uplink import UPLINK_POLICY_NAMES
from mcfn.scenario.energy import Energy
from mcfn.scenario.terminal import TerminalCompute
from mcfn.validation import StrictModel, validation_message

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]

#: The wired network's defaults are the topology builder's own, so the two cannot drift apart.
_HEX = HexSpec()


class Network(StrictModel):
    """A hexagonal multi-cell access network (:func:`mcfn.network.topology.hex_topology`)."""

    rings: Annotated[int, Field(ge=0, le=10)] = _HEX.rings
    cell_radius_m: Positive = _HEX.cell_radius_m
    cells_per_aggregation: Annotated[int, Field(ge=1)] = _HEX.cells_per_aggregation
    lan_bps: Positive = _HEX.lan_bps
    lan_delay_s: NonNegative = _HEX.lan_delay_s
    backhaul_bps: Positive = _HEX.backhaul_bps
    backhaul_delay_s: NonNegative = _HEX.backhaul_delay_s
    core_bps: Positive = _HEX.core_bps
    core_delay_s: NonNegative = _HEX.core_delay_s
    wan_bps: Positive = _HEX.wan_bps
    wan_delay_s: NonNegative = _HEX.wan_delay_s


class Radio(StrictModel):
    """Uplink OFDMA per base station, downlink, and handover (3GPP A3)."""

    bandwidth_hz: Positive = 20e6
    terminal_tx_power_dbm: float = 23.0
    station_tx_power_dbm: float = 46.0
    noise_psd_dbm_hz: float = -174.0
    uplink_policy: str = "equal-bandwidth"
    min_compression: Annotated[float, Field(gt=0, le=1)] = 0.05
    allocation_method: Literal["fast", "exact", "sca"] = "fast"
    radio_delay_s: NonNegative = 1e-3
    downlink_bps: Positive = 50e6
    hysteresis_db: NonNegative = 3.0
    time_to_trigger_s: NonNegative = 0.0

    @model_validator(mode="after")
    def _known_policy(self) -> Radio:
        if self.uplink_policy not in UPLINK_POLICY_NAMES:
            valid = ", ".join(UPLINK_POLICY_NAMES)
            raise ValueError(f"uplink_policy {self.uplink_policy!r} is unknown; valid: {valid}")
        return self


class RandomWaypointMobility(StrictModel):
    model: Literal["random-waypoint"] = "random-waypoint"
    speed_mps: tuple[Positive, Positive] = (0.5, 1.5)
    pause_s: NonNegative = 0.0

    @model_validator(mode="after")
    def _ordered(self) -> RandomWaypointMobility:
        if self.speed_mps[0] > self.speed_mps[1]:
            raise ValueError("speed_mps must be [min, max] with min <= max")
        return self


class GaussMarkovMobility(StrictModel):
    model: Literal["gauss-markov"]
    mean_speed_mps: Positive = 1.0
    speed_std_mps: NonNegative = 0.3
    heading_std_rad: NonNegative = 0.5
    alpha: Probability = 0.75


class TraceMobilityDoc(StrictModel):
    model: Literal["trace"]
    path: Annotated[str, Field(min_length=1)]


Mobility = Annotated[
    RandomWaypointMobility | GaussMarkovMobility | TraceMobilityDoc,
    Field(discriminator="model"),
]


class Hotspot(StrictModel):
    """A hot spot: ``share`` of the terminals move only within the cell of base station ``station``."""

    station: Annotated[str, Field(pattern=r"^bs[0-9]+$")]
    share: Annotated[float, Field(gt=0, le=1)]


class Terminals(StrictModel):
    count: Annotated[int, Field(ge=1, le=10_000_000)] = 300
    mobility: Mobility = RandomWaypointMobility()
    step_s: Positive = 1.0
    hotspot: Hotspot | None = None
    compute: TerminalCompute | None = None

    @model_validator(mode="after")
    def _hotspot_moves(self) -> Terminals:
        if self.hotspot is not None and isinstance(self.mobility, TraceMobilityDoc):
            raise ValueError(
                "hotspot: a trace fixes every terminal's path; use it with random-waypoint or gauss-markov"
            )
        return self

    @property
    def hot_count(self) -> int:
        """How many terminals stay in the hot spot's cell (the first ones): ``share · count``, rounded."""
        return 0 if self.hotspot is None else round(self.hotspot.share * self.count)


class Server(StrictModel):
    """One class of compute node: every edge server, or the cloud."""

    kind: Kind
    peak_flops_per_s: Positive
    memory_bytes: Positive
    vm_slots: Annotated[int, Field(ge=1)] = 1
    degradation: NonNegative = 0.0
    #: Power when idle and at full load (:class:`mcfn.compute.power.ServerPower`). Defaults assumed, in the range of
    #: 2-socket servers' SPECpower_ssj2008 results (idle about a fifth of the peak).
    idle_w: NonNegative = 60.0
    peak_w: NonNegative = 300.0

    @model_validator(mode="after")
    def _idle_below_peak(self) -> Server:
        if self.idle_w > self.peak_w:
            raise ValueError(f"idle_w {self.idle_w:g} exceeds peak_w {self.peak_w:g}")
        return self

    def power(self) -> ServerPower:
        """This class's power model."""
        return ServerPower(idle_w=self.idle_w, peak_w=self.peak_w)

    def node(self, node_id: str, tier: Tier) -> ComputeNode:
        """The compute node of this class named ``node_id`` on ``tier``."""
        return ComputeNode.of_kind(
            node_id=node_id,
            tier=tier,
            kind=self.kind,
            peak_flops_per_s=self.peak_flops_per_s,
            memory_bytes=self.memory_bytes,
            vm_slots=self.vm_slots,
            degradation=self.degradation,
        )


class Compute(StrictModel):
    """The edge servers (one class for every cell, ``edge``, or classes cycled over the cells, ``edges``) and the
    cloud."""

    edge: Server = Server(kind=Kind.CPU, peak_flops_per_s=4e11, memory_bytes=32e9, vm_slots=4, degradation=0.1)
    edges: Annotated[tuple[Server, ...], Field(min_length=1)] | None = None
    cloud: Server | None = Server(kind=Kind.GPU, peak_flops_per_s=1e13, memory_bytes=1e12, vm_slots=64)

    @model_validator(mode="after")
    def _one_edge_form(self) -> Compute:
        if self.edges is not None and "edge" in self.model_fields_set:
            raise ValueError("give 'edge' (every cell's server) or 'edges' (cycled over the cells), not both")
        return self

    def edge_server(self, cell: int) -> Server:
        """The edge server of cell ``cell`` (``bs{cell}``): ``edges[cell % len(edges)]``, or ``edge``."""
        return self.edge if self.edges is None else self.edges[cell % len(self.edges)]


class Awareness(StrictModel):
    """Periodic state adverts of every compute node (:class:`mcfn.awareness.AdvertPolicy`)."""

    period_s: Positive = 0.1
    jitter_s: NonNegative = 0.01
    loss_probability: Probability = 0.0

    @model_validator(mode="after")
    def _jitter(self) -> Awareness:
        if not self.jitter_s < self.period_s / 2:
            raise ValueError("jitter_s must be smaller than period_s / 2")
        return self


class StageDoc(StrictModel):
    """One stage of a service's split plan: its work, its output, and where it may run; with ``tiles > 1``, a
    vertical split (DeepThings' fused tile partitioning, Zhao et al., IEEE TCAD 2018) into ``tiles`` parallel
    sub-tasks on distinct nodes, each taking ``(1 + halo) / tiles`` of the stage's input and work (``halo``: the
    overlap of the tiles' receptive fields) and producing ``1 / tiles`` of its output."""

    flops: Annotated[float, Field(ge=0)] | dict[OpClass, NonNegative]
    output_bits: NonNegative
    memory_bytes: NonNegative = 0.0
    activation_bytes: NonNegative = 0.0
    on: tuple[Literal["edge", "cloud", "terminal"], ...] = ("edge", "cloud")
    tiles: Annotated[int, Field(ge=1, le=16)] = 1
    halo: NonNegative = 0.0

    @model_validator(mode="after")
    def _somewhere(self) -> StageDoc:
        if not self.on:
            raise ValueError("'on' must name at least one of edge, cloud, terminal")
        if "terminal" in self.on and (len(self.on) > 1 or self.tiles > 1):
            raise ValueError("a stage 'on: [terminal]' runs on one terminal only: no other tier, no tiles")
        return self


Place = Literal["edge", "cloud"]


class Split(StrictModel):
    """How a zoo model is cut into stages: ``stages`` of about equal FLOPs that may run on the tiers ``on``, or
    the latency-optimal cut over the ordered ``tiers`` (one stage per tier used, pinned to it)."""

    stages: Annotated[int, Field(ge=1, le=16)] | None = None
    tiers: tuple[Place, ...] | None = None
    on: tuple[Place | Literal["terminal"], ...] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Split:
        if self.tiers is not None:
            if self.stages is not None or self.on is not None:
                raise ValueError("'tiers' pins each stage to its tier: give it without 'stages' and 'on'")
            if self.tiers not in (("edge",), ("cloud",), ("edge", "cloud")):
                raise ValueError(f"tiers must be [edge], [cloud] or [edge, cloud] (in that order), got {self.tiers}")
        if self.on is not None and not self.on:
            raise ValueError("'on' must name at least one of edge, cloud, terminal")
        if self.on is not None and "terminal" in self.on and len(self.on) > 1:
            raise ValueError("'on: [terminal]' runs on one terminal only: no other tier")
        return self

    @property
    def places(self) -> tuple[Place, ...]:
        """Where every stage may run (a split by number of stages)."""
        return self.on or ("edge", "cloud")


class AccuracyCurveDoc(StrictModel):
    """Shape ``q``, ``r`` of seed eq. (1), ``A = p - q (alpha / Mbit)^(-r)``; ``p`` anchors it at the service."""

    q: NonNegative = 0.14
    r: Positive = 0.6


class ExitDoc(StrictModel):
    """An early exit of a variant (a BranchyNet side classifier; Teerapittayanon et al., ICPR 2016): the task is
    answered after ``after`` — a layer-graph node id of a zoo model, or the index of the last explicit stage run —
    with ``accuracy``, whose ``source`` is a citation or ``assumed``."""

    after: Annotated[str, Field(min_length=1)] | Annotated[int, Field(ge=0)]
    accuracy: Probability
    source: Annotated[str, Field(min_length=1)]


Precision = Literal["float", "int8"]


class Variant(StrictModel):
    """One way to run a service's task: a zoo ``model`` cut by ``split``, or explicit ``stages``; in ``precision``
    (``int8``: a quantised model, whose convolutions and matrix products run on the nodes' int8 units), answering
    with ``accuracy`` (a zoo model's published top-1 by default, float or int8) at the uncompressed input, or earlier
    at one of its ``exits``."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    model: str | None = None
    precision: Precision = "float"
    split: Split | None = None
    stages: Annotated[tuple[StageDoc, ...], Field(max_length=16)] = ()
    accuracy: Probability = 1.0
    accuracy_source: Annotated[str, Field(min_length=1)] = "given in the scenario"
    exits: Annotated[tuple[ExitDoc, ...], Field(max_length=8)] = ()

    @model_validator(mode="before")
    @classmethod
    def _published_accuracy(cls, data: Any) -> Any:
        """A zoo model's published top-1 (of its int8 version when ``precision: int8``) is the default accuracy."""
        if not isinstance(data, dict) or data.get("model") is None:
            return data
        name = data["model"]
        if not isinstance(name, str) or name not in PUBLISHED_TOP1:
            raise ValueError(f"model {name!r} is not in the zoo; valid: {', '.join(PUBLISHED_TOP1)}")
        if "accuracy" in data:
            return data
        data = dict(data)
        if data.get("precision") == "int8":
            if name not in PUBLISHED_TOP1_INT8:
                quantised = ", ".join(PUBLISHED_TOP1_INT8)
                raise ValueError(
                    f"model {name!r} has no published int8 accuracy (quantised in torchvision: {quantised}); "
                    "give 'accuracy' and 'accuracy_source'"
                )
            data["accuracy"], weights = PUBLISHED_TOP1_INT8[name]
            data.setdefault("accuracy_source", f"torchvision {weights}, ImageNet-1K acc@1")
        else:
            data["accuracy"] = PUBLISHED_TOP1[name]
            data.setdefault("accuracy_source", "torchvision IMAGENET1K_V1 weights, ImageNet-1K acc@1")
        return data

    @model_validator(mode="after")
    def _one_form(self) -> Variant:
        if self.model is None:
            if not self.stages:
                raise ValueError("give 'stages' (1 to 16) or a zoo 'model'")
            if self.split is not None:
                raise ValueError("'split' applies to a zoo 'model', not to explicit 'stages'")
            for e in self.exits:
                if not isinstance(e.after, int) or e.after >= len(self.stages) - 1:
                    raise ValueError(
                        f"exit after {e.after!r}: with explicit stages, 'after' is the index of a stage before the "
                        f"last (0..{len(self.stages) - 2})"
                    )
        elif self.stages:
            raise ValueError("give explicit 'stages' or a zoo 'model', not both")
        else:
            for e in self.exits:
                if not isinstance(e.after, str):
                    raise ValueError(f"exit after {e.after!r}: with a zoo model, 'after' is a layer-graph node id")
        for e in self.exits:
            if e.accuracy > self.accuracy:
                raise ValueError(
                    f"exit after {e.after!r}: accuracy {e.accuracy} above the full model's {self.accuracy}"
                )
        return self

    @property
    def label(self) -> str:
        """The variant's name: ``name``, else :attr:`form`."""
        return self.name if self.name is not None else self.form

    @property
    def form(self) -> str:
        """The model (``-int8`` when quantised), or ``stages``."""
        base = self.model or "stages"
        return f"{base}-int8" if self.precision == "int8" else base


class Service(Variant):
    """A task type: its arrivals, input, deadline and accuracy floor, and its ways to be served.

    The service's own model or stages is its *reference variant* (what the fixed-variant policies run);
    ``variants`` are alternatives the orchestrator may choose instead, and ``compression`` the shares of the input
    it may upload (each scoring seed eq. 1's accuracy along ``accuracy_curve``). ``work_scales_with_input`` says
    whether a compressed input also shrinks the first stage's work in proportion (seed §3.2's model ``c α``: a model
    that processes the input it gets) or leaves it as it is (false, the default: a model whose input is resized to
    a fixed tensor, like torchvision's ImageNet classifiers)."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    rate_per_terminal_per_s: Positive | None = None
    arrivals_path: Annotated[str, Field(min_length=1)] | None = None
    data_bits: NonNegative
    deadline_s: Positive
    accuracy_curve: AccuracyCurveDoc = AccuracyCurveDoc()
    min_accuracy: Probability = 0.0
    work: Literal["deterministic", "exponential"] = "deterministic"
    variants: Annotated[tuple[Variant, ...], Field(max_length=16)] = ()
    compression: Annotated[tuple[Annotated[float, Field(gt=0, le=1)], ...], Field(min_length=1, max_length=8)] = (1.0,)
    work_scales_with_input: bool = False

    @model_validator(mode="before")
    @classmethod
    def _zoo_input(cls, data: Any) -> Any:
        """A zoo model's input tensor is the default ``data_bits``."""
        model = data.get("model") if isinstance(data, dict) else None
        if isinstance(model, str) and model in PUBLISHED_TOP1 and "data_bits" not in data:
            graph = load_zoo_graph(data["model"])
            data = {**data, "data_bits": 8.0 * graph.nodes[graph.input_index].output_bytes}
        return data

    @model_validator(mode="after")
    def _floor(self) -> Service:
        if (self.rate_per_terminal_per_s is None) == (self.arrivals_path is None):
            raise ValueError("give exactly one of 'rate_per_terminal_per_s' and 'arrivals_path'")
        if self.accuracy < self.min_accuracy:
            raise ValueError(f"accuracy {self.accuracy} is below min_accuracy {self.min_accuracy}")
        labels = [self.label, *(v.label for v in self.variants)]
        twice = sorted({n for n in labels if labels.count(n) > 1})
        if twice:
            raise ValueError(f"variant name {twice[0]!r} appears twice (give each variant a 'name')")
        if len(set(self.compression)) != len(self.compression):
            raise ValueError("compression levels must differ")
        return self

    @property
    def label(self) -> str:
        """The reference variant's name: its :attr:`form` (``name`` is the service's)."""
        return self.form

    @property
    def all_variants(self) -> tuple[Variant, ...]:
        """The reference variant (the service itself) and its alternatives, in order."""
        return (self, *self.variants)

    def curve_at(self, accuracy: float) -> AccuracyCurve:
        """Accuracy vs the data processed (seed eq. 1) of a variant or exit answering ``accuracy`` at the whole input.

        ``p = accuracy + q (data_bits / Mbit)^(-r)``, so compression ratio 1 scores ``accuracy`` and a ratio ``rho``
        scores ``p - q (rho data_bits / Mbit)^(-r)``. A service without input data is flat.
        """
        q, r = self.accuracy_curve.q, self.accuracy_curve.r
        if self.data_bits == 0:
            return AccuracyCurve(p=accuracy, q=0.0, r=r)
        return AccuracyCurve(p=accuracy + q * (self.data_bits / MBIT) ** (-r), q=q, r=r)

    @property
    def curve(self) -> AccuracyCurve:
        """The reference variant's accuracy curve (:meth:`curve_at` its ``accuracy``)."""
        return self.curve_at(self.accuracy)


class Failure(StrictModel):
    """A node or a link down from ``at_s`` for ``for_s`` seconds (``null``: to the end)."""

    node: str | None = None
    link: tuple[str, str] | None = None
    at_s: NonNegative
    for_s: Positive | None = None

    @model_validator(mode="after")
    def _one(self) -> Failure:
        if (self.node is None) == (self.link is None):
            raise ValueError("give exactly one of 'node' and 'link'")
        return self


class Deployment(StrictModel):
    """Which model variants' stages live where (:mod:`mcfn.deployment`): the ``policy``, where a missing stage is
    loaded from (``storage``: the node's own disk at ``storage_read_bps``; ``registry``: fetched from the cloud over
    the wired network), a fixed ``load_overhead_s`` per load, the ``optimal`` placement's ``period_s``, the
    ``state_bytes`` of a terminal's service state that ``follow-me`` migrates, and how often memory is sampled."""

    policy: str = "static"
    source: Literal["storage", "registry"] = "storage"
    storage_read_bps: Positive = 8e9
    load_overhead_s: NonNegative = 0.05
    period_s: Positive = 10.0
    state_bytes: NonNegative = 1e6
    sample_s: Positive = 1.0

    @model_validator(mode="after")
    def _known_policy(self) -> Deployment:
        from mcfn.deployment.policies import DEPLOYMENT_POLICIES

        if self.policy not in DEPLOYMENT_POLICIES:
            raise ValueError(f"deployment.policy {self.policy!r} is unknown; valid: {', '.join(DEPLOYMENT_POLICIES)}")
        return self


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line naming the bad field."""


class Scenario(StrictModel):
    """A whole simulation scenario (see ``docs/formats/simulation-scenario.md``).

    Build one with :func:`mcfn.scenario.load_scenario` or :func:`mcfn.scenario.parse_scenario`, and change one with
    :meth:`model_copy`, which validates the result.
    """

    duration_s: Positive = 600.0
    drain_s: NonNegative = 60.0
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    utility_weight: Probability = 0.5
    energy_weight: NonNegative = 0.0
    max_reroutes: Annotated[int, Field(ge=0, le=100)] = 2
    network: Network = Network()
    radio: Radio = Radio()
    terminals: Terminals = Terminals()
    compute: Compute = Compute()
    awareness: Awareness = Awareness()
    energy: Energy = Energy()
    services: Annotated[tuple[Service, ...], Field(min_length=1)]
    failures: tuple[Failure, ...] = ()
    deployment: Deployment | None = None

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Scenario:
        """A copy with the fields of ``update`` changed, validated as a scenario file is (pydantic's own
        ``model_copy`` skips validation: a negative duration would run with no task); raises
        :class:`ScenarioError` naming the first bad field. Models given in ``update`` (a
        :class:`Service`, a :class:`Radio`, …) were validated when they were built and are taken as they are."""
        copy = super().model_copy(update=update, deep=deep)
        try:
            for name, value in (update or {}).items():
                if name not in type(self).model_fields:
                    raise ValueError(f"{name}: not a scenario field")
                if not _holds_model(value):
                    type(self).__pydantic_validator__.validate_assignment(copy, name, value)
            return copy._consistent()
        except ValidationError as exc:
            raise ScenarioError(validation_message(exc)) from None
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        hotspot = self.terminals.hotspot
        cells = 1 + 3 * self.network.rings * (self.network.rings + 1)
        if hotspot is not None and int(hotspot.station[2:]) >= cells:
            raise ValueError(
                f"terminals.hotspot.station: {hotspot.station} is not a base station; the {cells} cells are "
                f"bs0 to bs{cells - 1}"
            )
        names = [s.name for s in self.services]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"service name {twice[0]!r} appears twice")
        nodes = {"edge": cells, "cloud": 0 if self.compute.cloud is None else 1, "terminal": 1}
        edges = self.compute.edges or (self.compute.edge,)
        device = self.terminals.compute
        memory = {
            "edge": max(server.memory_bytes for server in edges[:cells]),
            "cloud": 0.0 if self.compute.cloud is None else self.compute.cloud.memory_bytes,
            "terminal": 0.0 if device is None else device.profile.memory_bytes,
        }
        for s in self.services:
            for v in s.all_variants:
                local = [("terminal" in stage.on) for stage in v.stages]
                if any(local) and (device is None or not all(local) or v is s):
                    raise ValueError(
                        f"service {s.name} variant {v.label}: a variant runs on the terminal with all its stages "
                        "'on: [terminal]', as one of the service's 'variants' (not its reference), and needs "
                        "terminals.compute"
                    )
                for k, stage in enumerate(v.stages):
                    where = f"service {s.name} variant {v.label} stage {k}"
                    largest = max(memory[tier] for tier in stage.on)
                    if stage.memory_bytes > largest:
                        raise ValueError(
                            f"{where}: memory_bytes {stage.memory_bytes:g} exceeds the memory of every node it may "
                            f"run on ({', '.join(stage.on)}: at most {largest:g} bytes)"
                        )
                    hosts = sum(nodes[tier] for tier in stage.on)
                    if stage.tiles > hosts:
                        raise ValueError(
                            f"{where}: tiles {stage.tiles} exceeds the {hosts} nodes of its tiers "
                            f"({', '.join(stage.on)}); each tile runs on a node of its own"
                        )
                    if stage.tiles > 1 and k > 0 and v.stages[k - 1].tiles > 1:
                        raise ValueError(
                            f"{where}: tiles {stage.tiles} follows another tiled stage; fuse them into one tiled "
                            "stage (DeepThings' fused tiles) or put an untiled stage between"
                        )
        if self.compute.cloud is None:
            for s in self.services:
                for v in s.all_variants:
                    for k, stage in enumerate(v.stages):
                        if stage.on == ("cloud",):
                            where = f"service {s.name} variant {v.label} stage {k}"
                            raise ValueError(f"{where} runs only in the cloud, but there is none")
                    split = v.split
                    if split is not None and ("cloud" in (split.tiers or ()) or split.on == ("cloud",)):
                        raise ValueError(f"service {s.name} variant {v.label}: split uses the cloud, but there is none")
        return self


def _holds_model(value: Any) -> bool:
    """Whether ``value`` is a model or a sequence of them (already validated when built)."""
    if isinstance(value, tuple | list):
        return any(_holds_model(v) for v in value)
    return isinstance(value, StrictModel)
