"""Terminals as Flower clients, and the lightest way to run them: in this process, without Ray.

:class:`TerminalClient` is a Flower ``NumPyClient`` holding one terminal's share of the training data; it trains the
global weights for the epochs the server asks, and answers the server's resource request (FedCS's first step:
Nishio & Yonetani, "Client selection for federated learning with heterogeneous resources in mobile edge", IEEE ICC
2019) through ``get_properties``. :class:`InProcessProxy` is the ``ClientProxy`` through which a Flower strategy
reaches a client object directly, so that a strategy's ``configure_fit`` / ``aggregate_fit`` run unchanged in one
process (Flower's own simulation engine runs clients in Ray actors).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flwr.client import Client, NumPyClient
from flwr.common import (
    DisconnectRes,
    EvaluateIns,
    EvaluateRes,
    FitIns,
    FitRes,
    GetParametersIns,
    GetParametersRes,
    GetPropertiesIns,
    GetPropertiesRes,
    ReconnectIns,
)
from flwr.server.client_proxy import ClientProxy

from mcfn.training import model as mlp


class TerminalClient(NumPyClient):
    """One terminal's local training: its samples ``(x, y)``, the model's architecture, and a seed from which every
    round's batches are drawn (``(seed, terminal, round)``, so a run is reproducible whatever the selection)."""

    def __init__(self, *, terminal: int, x: np.ndarray, y: np.ndarray, arch: mlp.Architecture, seed: int) -> None:
        self.terminal = terminal
        self.x, self.y = x, y
        self.arch = arch
        self.seed = seed
        self._net = mlp.build(arch, np.random.default_rng(seed))

    def get_properties(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"terminal": self.terminal, "samples": len(self.y)}

    def get_parameters(self, config: dict[str, Any]) -> list[np.ndarray]:
        return mlp.get_weights(self._net)

    def fit(self, parameters: list[np.ndarray], config: dict[str, Any]) -> tuple[list[np.ndarray], int, dict]:
        mlp.set_weights(self._net, parameters)
        rng = np.random.default_rng([self.seed, self.terminal, int(config.get("round", 0))])
        loss = mlp.train(self._net, self.x, self.y, epochs=int(config.get("epochs", 1)), rng=rng)
        return mlp.get_weights(self._net), len(self.y), {"loss": loss, "terminal": self.terminal}

    def evaluate(self, parameters: list[np.ndarray], config: dict[str, Any]) -> tuple[float, int, dict]:
        mlp.set_weights(self._net, parameters)
        loss, accuracy = mlp.evaluate(self._net, self.x, self.y)
        return loss, len(self.y), {"accuracy": accuracy}


class InProcessProxy(ClientProxy):
    """A Flower ``ClientProxy`` that calls its client in this process (``timeout`` and ``group_id`` unused)."""

    def __init__(self, cid: str, client: Client) -> None:
        super().__init__(cid)
        self.client = client

    def get_properties(self, ins: GetPropertiesIns, timeout: float | None, group_id: int | None) -> GetPropertiesRes:
        return self.client.get_properties(ins)

    def get_parameters(self, ins: GetParametersIns, timeout: float | None, group_id: int | None) -> GetParametersRes:
        return self.client.get_parameters(ins)

    def fit(self, ins: FitIns, timeout: float | None, group_id: int | None) -> FitRes:
        return self.client.fit(ins)

    def evaluate(self, ins: EvaluateIns, timeout: float | None, group_id: int | None) -> EvaluateRes:
        return self.client.evaluate(ins)

    def reconnect(self, ins: ReconnectIns, timeout: float | None, group_id: int | None) -> DisconnectRes:
        return DisconnectRes(reason="in process")
