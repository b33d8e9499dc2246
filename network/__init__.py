"""Grid model, PTDF/LODF sensitivities, outages, contingencies and loop flow (pure numpy/scipy).

Public entry points:

- :mod:`network.model` - ``Network``, ``PricingPoint``, ``Interface``, ``Contingency``, ``Generator``,
  ``PeriodConditions``; :mod:`network.examples` - the docs/rules.md 3-bus network, ``build_network``.
- :func:`network.matpower.load_matpower`, :func:`network.json_format.load_network_json` /
  ``dump_network_json`` / ``load_conditions_json``; :mod:`network.errors` - ``NetworkError`` family.
- :func:`network.sensitivity.build_sensitivity_model` -> ``SensitivityModel`` (``ptdf``, ``lodf``,
  ``injection_matrix``, ``branch_flows``, ``ptdf_blocks``, ``substitutions``, ``bridge_mask``).
- :func:`network.constraints.monitored_constraints` -> ``MonitoredSet``.
- :class:`network.flows.FlowEvaluator` (``flows``, ``transfer_flows``, ``overloads``,
  ``constraint_sensitivities``, ``post_flow_blocks``); :mod:`network.contingency` for N-1 sets and
  the islanding rules.
"""
