"""Revenue-adequacy forecasts (OA 7.4) on the wire: the request, the job and its report.

Ratios are fractions (1.0 = the FTRs of the class are paid in full); money is $ for the month.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api_schemas.clearing import JobStatusName


class OutageScenarioIn(BaseModel):
    id: str = Field(min_length=1, max_length=100)
    branch_ids: list[str] = Field(min_length=1, max_length=1000, description="branches out all month")
    probability: float = Field(ge=0, le=1)


class ForecastRequest(BaseModel):
    """Scenarios: the OI's list (probabilities summing to <= 1, the base case gets the rest), or
    without one, single outages of the ``n_auto`` branches collecting the most congestion rent in
    the base run, each with ``auto_probability``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"n_auto": 3, "auto_probability": 0.05, "top_n": 10, "seed": 0},
                {"scenarios": [{"id": "line 73 out", "branch_ids": ["73"], "probability": 0.1}]},
            ]
        },
    )

    scenarios: list[OutageScenarioIn] | None = Field(default=None, max_length=100)
    n_auto: int = Field(default=5, ge=0, le=50)
    auto_probability: float = Field(default=0.05, ge=0, le=1)
    top_n: int = Field(default=10, ge=1, le=1000, description="how many exposed FTRs and causes to report")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="seed of the simulated loads")


class ClassForecastPublic(BaseModel):
    period_class: str
    expected_hourly_ratio: float
    worst_hourly_ratio: float
    expected_month_end_ratio: float
    worst_month_end_ratio: float
    worst_scenario_id: str
    expected_target_allocation: float = Field(description="$ for the month")
    expected_shortfall: float = Field(description="$ for the month, after the month-end excess")


class ShortfallCausePublic(BaseModel):
    constraint_id: str
    contingency_id: str
    expected_contribution: float = Field(description="$: sum over shortfall hours of mu (H y - (f - o))")
    worst_contribution: float
    worst_scenario_id: str
    shortfall_hours: int


class FtrExposurePublic(BaseModel):
    ftr_id: str = Field(description="<holder>/<class>/<source>-><sink>/<hedge>")
    holder: str
    period_class: str
    expected_target_allocation: float
    expected_credit: float
    expected_shortfall: float
    worst_shortfall: float
    worst_scenario_id: str


class ClassResultPublic(BaseModel):
    period_class: str
    target_allocation: float
    hourly_credit: float
    month_end_credit: float
    hourly_ratio: float
    month_end_ratio: float
    shortfall_hours: int


class ScenarioResultPublic(BaseModel):
    scenario_id: str
    outages: list[str]
    probability: float
    congestion_rent: float
    unsolved_hours: int
    classes: list[ClassResultPublic]


class ForecastReportPublic(BaseModel):
    hours: int
    seed: int
    classes: list[ClassForecastPublic] = Field(description="expected and worst payout ratio per class")
    causes: list[ShortfallCausePublic] = Field(description="constraints causing shortfalls, largest first")
    exposed: list[FtrExposurePublic] = Field(description="FTRs most exposed, largest shortfall first")
    scenarios: list[ScenarioResultPublic]


class ForecastJobPublic(BaseModel):
    id: int
    auction_id: int
    status: JobStatusName
    progress: float = Field(ge=0, le=1)
    elapsed_s: float | None
    log: list[str]
    error: str | None
    parameters: ForecastRequest
    report: ForecastReportPublic | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
