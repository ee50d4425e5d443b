"""The metric catalog: what each oracle metric means, how it is computed and dated.

The dbt project will be checked against these definitions; each entry names the oracle field
that gives its value. Choices the reference (``metrics.md``) leaves open are written here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One catalog entry.

    Attributes:
        name: the metric's id (snake_case).
        definition: one-line summary.
        formula: how it is computed, in terms of source fields.
        period_date: the date that places a fact in a period (or the point-in-time rule).
        grains: the grains it is given at.
        sources: source objects read.
        oracle: where the oracle gives it (``module.Type.field``).
        target: the seeds' target, when they give one.
    """

    name: str
    definition: str
    formula: str
    period_date: str
    grains: tuple[str, ...]
    sources: tuple[str, ...]
    oracle: str
    target: str | None = None


ALL = ("month", "quarter", "fiscal-year")
ZUORA_ARR = ("zuora.Account", "zuora.Subscription", "zuora.RatePlan", "zuora.RatePlanCharge")
_ARR_RULE = (
    "recurring charges (ChargeType Recurring, MRR != 0) of current subscription versions "
    "(IsLatestVersion, Status Active/Cancelled); active on day D when EffectiveStartDate <= D < "
    "min(EffectiveEndDate, Subscription.CancelledDate); MRR converted to USD per charge at "
    "FX_TO_USD (USD 1, EUR 1.10, GBP 1.25), rounded to the cent half away from zero"
)
_BRIDGE = (
    "per conformed customer (CrmId, else 'zuora:'+Account.Id), month-end ARR of month m-1 vs m; "
    "summed over the months of the period; "
)

CATALOG: tuple[Metric, ...] = (
    Metric(
        "mrr",
        "Monthly recurring revenue at month end",
        f"sum of MRR of {_ARR_RULE}",
        "month end (last day of the month)",
        ("month",),
        ZUORA_ARR,
        "oracle_arr.ArrMonth.mrr",
    ),
    Metric(
        "arr",
        "Annual recurring revenue at month end (period end for quarter/year)",
        "12 x MRR, per charge",
        "month end",
        ("month",),
        ZUORA_ARR,
        "oracle_arr.ArrMonth.arr",
    ),
    Metric(
        "customers",
        "Conformed accounts with ARR > 0 at month end",
        "count of customers whose summed ARR > 0",
        "month end",
        ("month",),
        ZUORA_ARR,
        "oracle_arr.ArrMonth.customers",
    ),
    Metric(
        "new_arr",
        "ARR of customers whose ARR first becomes > 0",
        _BRIDGE + "ARR(m) where ARR(m-1) = 0 and the customer never had ARR before",
        "month end",
        ALL,
        ZUORA_ARR,
        "oracle_arr.ArrBridge.new",
    ),
    Metric(
        "reactivation_arr",
        "ARR of returning customers",
        _BRIDGE + "ARR(m) where ARR(m-1) = 0 and the customer had ARR > 0 before",
        "month end",
        ALL,
        ZUORA_ARR,
        "oracle_arr.ArrBridge.reactivation",
    ),
    Metric(
        "expansion_arr",
        "ARR increase of existing customers",
        _BRIDGE + "ARR(m) - ARR(m-1) where both > 0 and it increased",
        "month end",
        ALL,
        ZUORA_ARR,
        "oracle_arr.ArrBridge.expansion",
    ),
    Metric(
        "contraction_arr",
        "ARR decrease of customers who stay",
        _BRIDGE + "ARR(m-1) - ARR(m) where both > 0 and it decreased",
        "month end",
        ALL,
        ZUORA_ARR,
        "oracle_arr.ArrBridge.contraction",
    ),
    Metric(
        "churn_arr",
        "ARR lost from customers who leave",
        _BRIDGE + "ARR(m-1) where ARR(m) = 0; identity: end = start + new + reactivation + "
        "expansion - contraction - churn",
        "month end",
        ALL,
        ZUORA_ARR,
        "oracle_arr.ArrBridge.churn",
    ),
    Metric(
        "net_new_arr",
        "Net change of ARR",
        "new + reactivation + expansion - contraction - churn (= ARR end - ARR start)",
        "month end",
        ALL,
        ZUORA_ARR,
        "oracle_arr.ArrBridge.net_new",
    ),
    Metric(
        "new_customers",
        "Customers whose ARR first becomes > 0 in the period",
        _BRIDGE + "count of the customers counted in new_arr",
        "month end",
        ALL,
        ZUORA_ARR,
        "oracle_arr.ArrBridge.new_customers",
    ),
    Metric(
        "churned_customers",
        "Customers whose ARR falls to 0 in the period",
        _BRIDGE + "count of the customer-months counted in churn_arr",
        "month end",
        ALL,
        ZUORA_ARR,
        "oracle_arr.ArrBridge.churned_customers",
    ),
    Metric(
        "arpa",
        "Average ARR per customer at the period end",
        "arr / customers at the end of the period's last month in the history",
        "month end",
        ALL,
        ZUORA_ARR,
        "oracle_retention.RetentionPeriod.arpa",
    ),
    Metric(
        "net_revenue_retention",
        "ARR at the period end of the customers present at its start, over their starting ARR",
        "cohort = customers with ARR > 0 at the end of the month before the period; "
        "sum(ARR at the period end) / sum(ARR at the start)",
        "month ends before and at the end of the period",
        ("quarter", "fiscal-year"),
        ZUORA_ARR,
        "oracle_retention.RetentionPeriod.net_revenue_retention",
        target="180 %",
    ),
    Metric(
        "gross_revenue_retention",
        "As net revenue retention, each customer capped at its starting ARR",
        "sum(min(ARR at start, ARR at end)) / sum(ARR at start) over the same cohort",
        "month ends before and at the end of the period",
        ("quarter", "fiscal-year"),
        ZUORA_ARR,
        "oracle_retention.RetentionPeriod.gross_revenue_retention",
        target="90 %",
    ),
    Metric(
        "ltv",
        "Customer lifetime value",
        "arpa x gross margin (0.8) / (churn_arr / ARR at the period start x 12 / months of "
        "the period in the history)",
        "the period",
        ("quarter", "fiscal-year"),
        ZUORA_ARR,
        "oracle_retention.RetentionPeriod.ltv",
    ),
    Metric(
        "iacv",
        "Incremental ACV booked",
        "sum of ARR__c of closed-won (IsWon) opportunities of Type New Business or Upsell, "
        "not deleted (renewals add no ARR)",
        "Opportunity.CloseDate",
        ALL,
        ("salesforce.Opportunity",),
        "oracle_sales.SalesPeriod.iacv",
    ),
    Metric(
        "bookings",
        "Number of IACV deals",
        "count of the opportunities in iacv",
        "Opportunity.CloseDate",
        ALL,
        ("salesforce.Opportunity",),
        "oracle_sales.SalesPeriod.bookings",
    ),
    Metric(
        "win_rate_count",
        "Share of closed deals won, by count",
        "won / (won + lost), closed opportunities of every Type, not deleted, a deal closed "
        "as unqualified (StageName Closed Unqualified) in neither; undefined when none closed",
        "Opportunity.CloseDate",
        ALL,
        ("salesforce.Opportunity",),
        "oracle_sales.SalesPeriod.win_rate_count",
    ),
    Metric(
        "win_rate_amount",
        "Share of closed deals won, by Amount",
        "sum Amount won / sum Amount of won + lost (missing Amount = 0; unqualified in neither)",
        "Opportunity.CloseDate",
        ALL,
        ("salesforce.Opportunity",),
        "oracle_sales.SalesPeriod.win_rate_amount",
    ),
    Metric(
        "average_deal_size",
        "Average IACV per booked deal",
        "iacv / bookings",
        "Opportunity.CloseDate",
        ALL,
        ("salesforce.Opportunity",),
        "oracle_sales.SalesPeriod.average_deal_size",
    ),
    Metric(
        "pipeline_created",
        "Amount of new New Business/Upsell opportunities",
        "sum of Amount of opportunities of Type New Business or Upsell created in the period "
        "(whatever their stage now; sales-accepted deals: oracle_pipeline.sao)",
        "UTC date of Opportunity.CreatedDate",
        ALL,
        ("salesforce.Opportunity",),
        "oracle_sales.SalesPeriod.pipeline_created",
    ),
    Metric(
        "median_days_to_close",
        "Median time to close a won deal",
        "median over closed-won opportunities (every Type) of CloseDate - UTC date of "
        "CreatedDate, in days (mean of the two middle values when n is even); n reported",
        "Opportunity.CloseDate",
        ALL,
        ("salesforce.Opportunity",),
        "oracle_sales.SalesPeriod.median_days_to_close",
    ),
    Metric(
        "campaign_spend",
        "Marketing spend",
        "sum of Campaign.ActualCost, the whole cost placed on the campaign's StartDate (a "
        "campaign starting after the clock spends outside the history)",
        "Campaign.StartDate",
        ALL,
        ("salesforce.Campaign",),
        "oracle_marketing.MarketingPeriod.spend",
    ),
    Metric(
        "leads",
        "Leads created",
        "count of Lead rows not deleted",
        "UTC date of Lead.CreatedDate",
        ALL,
        ("salesforce.Lead",),
        "oracle_marketing.MarketingPeriod.leads",
    ),
    Metric(
        "cost_per_lead",
        "Spend per attributed lead (first touch)",
        "campaign_spend / leads created in the period that have a first touch (earliest "
        "live CampaignMember of the lead by CreatedDate, then Id); per campaign: ActualCost / "
        "leads first-touched by it, all time",
        "Campaign.StartDate (spend), UTC date of Lead.CreatedDate (leads)",
        ALL,
        ("salesforce.Campaign", "salesforce.Lead", "salesforce.CampaignMember"),
        "oracle_marketing.MarketingPeriod.cost_per_lead",
    ),
    Metric(
        "cost_per_lead_by_channel",
        "Spend per first-touch lead of each channel",
        "per channel (Campaign.Type, '(none)' when empty): spend of its campaigns / leads "
        "created in the period whose first touch is one of its campaigns",
        "Campaign.StartDate (spend), UTC date of Lead.CreatedDate (leads)",
        ALL,
        ("salesforce.Campaign", "salesforce.Lead", "salesforce.CampaignMember"),
        "oracle_marketing.ChannelPeriod.cost_per_lead",
    ),
    Metric(
        "cac",
        "Blended customer acquisition cost",
        "campaign_spend / new_customers; campaign cost is the only sales and marketing spend "
        "available until a finance source exists",
        "Campaign.StartDate; month end (customers)",
        ALL,
        ("salesforce.Campaign", *ZUORA_ARR),
        "oracle_marketing.MarketingPeriod.cac",
    ),
    Metric(
        "magic_number",
        "Net new recurring revenue per dollar of the prior quarter's S&M spend",
        "net_new_arr of the quarter / campaign_spend of the quarter before (= change in "
        "quarterly recurring revenue x 4 / prior-quarter S&M); campaign cost stands for S&M "
        "spend until a finance source exists, so values run far above a real company's",
        "month end (ARR); Campaign.StartDate (spend)",
        ("quarter",),
        ("salesforce.Campaign", *ZUORA_ARR),
        "oracle_efficiency.EfficiencyQuarter.magic_number",
        target="above 0.7",
    ),
    Metric(
        "sales_efficiency",
        "IACV per dollar of the same quarter's S&M spend",
        "iacv / campaign_spend of the same quarter (annual value, no x 4); campaign cost stands "
        "for S&M spend until a finance source exists",
        "Opportunity.CloseDate (IACV); Campaign.StartDate (spend)",
        ("quarter",),
        ("salesforce.Opportunity", "salesforce.Campaign"),
        "oracle_efficiency.EfficiencyQuarter.sales_efficiency",
        target="above 0.8",
    ),
)
