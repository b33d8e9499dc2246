"""The project's own JSON network format (the one the HTTP API accepts), and its period conditions.

Network document (``format = "ftr-network"``, ``version = 1``)::

    {"format": "ftr-network", "version": 1, "name": "three_bus", "base_mva": 100.0,
     "reference_bus": "3",
     "buses": [{"id": "1", "demand_mw": 0.0, "name": "ALPHA 230"}, ...],
     "branches": [{"id": "1-2", "from": "1", "to": "2", "reactance_pu": 0.1, "tap_ratio": 1.0,
                   "phase_shift_deg": 0.0, "rate_normal_mw": 1000.0, "rate_emergency_mw": null,
                   "in_service": true, "name": "ALPHA-BETA 1"}, ...],
     "pricing_points": [{"id": "HUB", "kind": "hub", "buses": [{"bus": "1", "weight": 0.5}, ...]}],
     "interfaces": [{"id": "IF1", "branches": [{"branch": "1-2", "coefficient": 1.0}],
                     "limit_mw": 500.0, "emergency_limit_mw": null}],
     "contingencies": [{"id": "C1", "branches": ["1-2"]}],
     "generators": [{"id": "G1", "bus": "1", "pmin_mw": 0, "pmax_mw": 100, "cost_c2": 0,
                     "cost_c1": 20, "cost_c0": 0, "in_service": true}]}

``rate_normal_mw: null`` means unlimited (not monitored); ``rate_emergency_mw: null`` means the normal
rating. Optional fields take the defaults shown; ``name`` (what users call a bus or branch, e.g.
MATPOWER's ``bus_name``) is optional and written only where a model has one. Period document (OA 7.3.6(a))::

    {"scheduled_outages": ["1-3"], "loop_flow_mw": {"1-3": 12.5}}

Errors name the JSON path and the problem (``branches[3].reactance_pu: expected a number``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from network.errors import CaseFormatError
from network.model import (
    Contingency,
    Generator,
    Interface,
    Network,
    PeriodConditions,
    PointKind,
    PricingPoint,
)
from network.validation import validate_network

FORMAT = "ftr-network"
VERSION = 1


def _get(obj: Mapping[str, Any], key: str, where: str, default: Any = ...) -> Any:
    if not isinstance(obj, Mapping):
        raise CaseFormatError(f"{where}: expected an object")
    if key in obj:
        return obj[key]
    if default is ...:
        raise CaseFormatError(f"{where}.{key}: missing")
    return default


def _str(obj: Mapping[str, Any], key: str, where: str, default: Any = ...) -> str:
    v = _get(obj, key, where, default)
    if not isinstance(v, str) or not v:
        raise CaseFormatError(f"{where}.{key}: expected a non-empty string, got {v!r}")
    return v


def _num(
    obj: Mapping[str, Any], key: str, where: str, default: Any = ..., *, nullable: bool = False
) -> float:
    v = _get(obj, key, where, default)
    if v is None and nullable:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise CaseFormatError(f"{where}.{key}: expected a number, got {v!r}")
    return float(v)


def _bool(obj: Mapping[str, Any], key: str, where: str, default: Any = ...) -> bool:
    v = _get(obj, key, where, default)
    if not isinstance(v, bool):
        raise CaseFormatError(f"{where}.{key}: expected true or false, got {v!r}")
    return v


def _list(obj: Mapping[str, Any], key: str, where: str, default: Any = ...) -> list[Any]:
    v = _get(obj, key, where, default)
    if not isinstance(v, list):
        raise CaseFormatError(f"{where}.{key}: expected a list")
    return v


def _name(obj: Mapping[str, Any], where: str) -> str:
    v = _get(obj, "name", where, "")
    if not isinstance(v, str):
        raise CaseFormatError(f"{where}.name: expected a string, got {v!r}")
    return v.strip()


def _named(element: dict[str, Any], names: tuple[str, ...], i: int) -> dict[str, Any]:
    # written only where the model names the element, so an unnamed model's document is unchanged
    if names and names[i]:
        element["name"] = names[i]
    return element


def load_network_json(data: Mapping[str, Any]) -> Network:
    """Build and validate a :class:`Network` from a JSON document (already parsed)."""
    where = "network"
    fmt = _get(data, "format", where, FORMAT)
    if fmt != FORMAT:
        raise CaseFormatError(f"{where}.format: expected {FORMAT!r}, got {fmt!r}")
    version = _get(data, "version", where, VERSION)
    if version != VERSION:
        raise CaseFormatError(
            f"{where}.version: unsupported version {version!r} (this reader knows {VERSION})"
        )
    buses = _list(data, "buses", where)
    bus_ids = [_str(b, "id", f"buses[{i}]") for i, b in enumerate(buses)]
    position = {b: i for i, b in enumerate(bus_ids)}
    demand = [_num(b, "demand_mw", f"buses[{i}]", 0.0) for i, b in enumerate(buses)]
    bus_names = [_name(b, f"buses[{i}]") for i, b in enumerate(buses)]
    branch_names: list[str] = []

    branches = _list(data, "branches", where)
    rows: dict[str, list[Any]] = {k: [] for k in ("id", "f", "t", "x", "tap", "shift", "rn", "re", "on")}
    for i, br in enumerate(branches):
        w = f"branches[{i}]"
        rows["id"].append(_str(br, "id", w))
        branch_names.append(_name(br, w))
        for key, col in (("from", "f"), ("to", "t")):
            bid = _str(br, key, w)
            if bid not in position:
                raise CaseFormatError(f"{w}.{key}: unknown bus {bid!r}")
            rows[col].append(position[bid])
        rows["x"].append(_num(br, "reactance_pu", w))
        rows["tap"].append(_num(br, "tap_ratio", w, 1.0))
        rows["shift"].append(_num(br, "phase_shift_deg", w, 0.0))
        normal = _num(br, "rate_normal_mw", w, None, nullable=True)
        emergency = _num(br, "rate_emergency_mw", w, None, nullable=True)
        rows["rn"].append(normal)
        rows["re"].append(normal if math.isnan(emergency) else emergency)
        rows["on"].append(_bool(br, "in_service", w, True))

    points = []
    for i, pt in enumerate(_list(data, "pricing_points", where, [])):
        w = f"pricing_points[{i}]"
        kind = _get(pt, "kind", w, PointKind.BUS.value)
        try:
            pkind = PointKind(kind)
        except ValueError:
            raise CaseFormatError(f"{w}.kind: unknown kind {kind!r}") from None
        members = _list(pt, "buses", w)
        points.append(
            PricingPoint(
                id=_str(pt, "id", w),
                bus_ids=tuple(_str(m, "bus", f"{w}.buses[{j}]") for j, m in enumerate(members)),
                weights=tuple(_num(m, "weight", f"{w}.buses[{j}]") for j, m in enumerate(members)),
                kind=pkind,
            )
        )
    interfaces = []
    for i, itf in enumerate(_list(data, "interfaces", where, [])):
        w = f"interfaces[{i}]"
        members = _list(itf, "branches", w)
        em = _num(itf, "emergency_limit_mw", w, None, nullable=True)
        interfaces.append(
            Interface(
                id=_str(itf, "id", w),
                branch_ids=tuple(_str(m, "branch", f"{w}.branches[{j}]") for j, m in enumerate(members)),
                coefficients=tuple(
                    _num(m, "coefficient", f"{w}.branches[{j}]") for j, m in enumerate(members)
                ),
                limit_mw=_num(itf, "limit_mw", w),
                emergency_limit_mw=None if math.isnan(em) else em,
            )
        )
    contingencies = []
    for i, c in enumerate(_list(data, "contingencies", where, [])):
        w = f"contingencies[{i}]"
        ids = _list(c, "branches", w)
        for j, b in enumerate(ids):
            if not isinstance(b, str):
                raise CaseFormatError(f"{w}.branches[{j}]: expected a branch id string, got {b!r}")
        contingencies.append(Contingency(_str(c, "id", w), tuple(ids)))
    generators = []
    for i, g in enumerate(_list(data, "generators", where, [])):
        w = f"generators[{i}]"
        generators.append(
            Generator(
                id=_str(g, "id", w),
                bus_id=_str(g, "bus", w),
                pmin_mw=_num(g, "pmin_mw", w, 0.0),
                pmax_mw=_num(g, "pmax_mw", w),
                cost_c2=_num(g, "cost_c2", w, 0.0),
                cost_c1=_num(g, "cost_c1", w, 0.0),
                cost_c0=_num(g, "cost_c0", w, 0.0),
                in_service=_bool(g, "in_service", w, True),
            )
        )
    net = Network(
        name=_str(data, "name", where, "network"),
        base_mva=_num(data, "base_mva", where, 100.0),
        bus_ids=tuple(bus_ids),
        reference_bus=_str(data, "reference_bus", where),
        branch_ids=tuple(rows["id"]),
        branch_from=np.array(rows["f"], dtype=np.int64),
        branch_to=np.array(rows["t"], dtype=np.int64),
        reactance_pu=np.array(rows["x"], dtype=np.float64),
        tap_ratio=np.array(rows["tap"], dtype=np.float64),
        phase_shift_deg=np.array(rows["shift"], dtype=np.float64),
        rate_normal_mw=np.array(rows["rn"], dtype=np.float64),
        rate_emergency_mw=np.array(rows["re"], dtype=np.float64),
        in_service=np.array(rows["on"], dtype=np.bool_),
        bus_demand_mw=np.array(demand, dtype=np.float64),
        pricing_points=tuple(points),
        interfaces=tuple(interfaces),
        contingencies=tuple(contingencies),
        generators=tuple(generators),
        bus_names=tuple(bus_names) if any(bus_names) else (),
        branch_names=tuple(branch_names) if any(branch_names) else (),
    )
    return validate_network(net)


def _opt(v: float) -> float | None:
    return None if not math.isfinite(v) else float(v)


def dump_network_json(net: Network) -> dict[str, Any]:
    """The JSON document of a network; ``load_network_json(dump_network_json(n))`` equals ``n``."""
    ids = net.bus_ids
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": net.name,
        "base_mva": float(net.base_mva),
        "reference_bus": net.reference_bus,
        "buses": [
            _named({"id": b, "demand_mw": float(d)}, net.bus_names, i)
            for i, (b, d) in enumerate(zip(ids, net.bus_demand_mw.tolist(), strict=True))
        ],
        "branches": [
            _named(
                {
                    "id": net.branch_ids[i],
                    "from": ids[int(net.branch_from[i])],
                    "to": ids[int(net.branch_to[i])],
                    "reactance_pu": float(net.reactance_pu[i]),
                    "tap_ratio": float(net.tap_ratio[i]),
                    "phase_shift_deg": float(net.phase_shift_deg[i]),
                    "rate_normal_mw": _opt(float(net.rate_normal_mw[i])),
                    "rate_emergency_mw": _opt(float(net.rate_emergency_mw[i])),
                    "in_service": bool(net.in_service[i]),
                },
                net.branch_names,
                i,
            )
            for i in range(net.n_branches)
        ],
        "pricing_points": [
            {
                "id": p.id,
                "kind": p.kind.value,
                "buses": [{"bus": b, "weight": float(w)} for b, w in zip(p.bus_ids, p.weights, strict=True)],
            }
            for p in net.pricing_points
        ],
        "interfaces": [
            {
                "id": f.id,
                "branches": [
                    {"branch": b, "coefficient": float(c)}
                    for b, c in zip(f.branch_ids, f.coefficients, strict=True)
                ],
                "limit_mw": float(f.limit_mw),
                "emergency_limit_mw": None if f.emergency_limit_mw is None else float(f.emergency_limit_mw),
            }
            for f in net.interfaces
        ],
        "contingencies": [{"id": c.id, "branches": list(c.branch_ids)} for c in net.contingencies],
        "generators": [
            {
                "id": g.id,
                "bus": g.bus_id,
                "pmin_mw": g.pmin_mw,
                "pmax_mw": g.pmax_mw,
                "cost_c2": g.cost_c2,
                "cost_c1": g.cost_c1,
                "cost_c0": g.cost_c0,
                "in_service": g.in_service,
            }
            for g in net.generators
        ],
    }


def load_conditions_json(data: Mapping[str, Any]) -> PeriodConditions:
    """Period conditions from ``{"scheduled_outages": [...], "loop_flow_mw": {...}}`` (OA 7.3.6(a))."""
    where = "period"
    outages = _list(data, "scheduled_outages", where, [])
    for j, b in enumerate(outages):
        if not isinstance(b, str):
            raise CaseFormatError(f"{where}.scheduled_outages[{j}]: expected a branch id string, got {b!r}")
    loop = _get(data, "loop_flow_mw", where, {})
    if not isinstance(loop, Mapping):
        raise CaseFormatError(f"{where}.loop_flow_mw: expected an object of constraint id -> MW")
    loop_mw = {str(k): _num(loop, k, f"{where}.loop_flow_mw") for k in loop}
    return PeriodConditions(scheduled_outages=tuple(outages), loop_flow_mw=loop_mw)


def dump_conditions_json(conditions: PeriodConditions) -> dict[str, Any]:
    """The JSON document of period conditions."""
    return {
        "scheduled_outages": list(conditions.scheduled_outages),
        "loop_flow_mw": {k: float(v) for k, v in conditions.loop_flow_mw.items()},
    }
