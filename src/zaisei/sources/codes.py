"""The national code lists a dataset's categories are linked to, by key.

A table's ``national`` column names a key of the scheme its kind implies
(accounts -> account-kind, revenue -> revenue, expenditure -> expenditure) and
its ``match`` column how closely the city's category matches it (a SKOS
mapping property). The keys are those of the shared SKOS schemes (one concept
per key under the code namespace, issue 16); this module is the one place the
sources stage knows them, until it reads them from the schemes themselves.
"""

from __future__ import annotations

import difflib

# key -> the national name (for messages and the curators' guide). Broader/narrower is the schemes' business.
SCHEMES: dict[str, dict[str, str]] = {
    "account-kind": {
        "all": "全会計", "general": "一般会計", "special": "特別会計", "public-enterprise": "公営企業会計",
        "national-health-insurance": "国民健康保険事業", "long-term-care-insurance": "介護保険事業",
        "late-elderly-medical-care": "後期高齢者医療事業", "land-acquisition": "公共用地取得",
        "land-readjustment": "土地区画整理事業", "wholesale-market": "卸売市場事業", "property-ward": "財産区",
        "sewerage": "下水道事業", "water-supply": "水道事業", "hospital": "病院事業",
    },
    "revenue": {
        "total": "歳入合計", "local-tax": "市町村税", "special-ward-tax": "特別区税",
        "local-transfer-tax": "地方譲与税", "interest-share-grant": "利子割交付金",
        "dividend-share-grant": "配当割交付金", "stock-transfer-share-grant": "株式等譲渡所得割交付金",
        "corporate-enterprise-tax-grant": "法人事業税交付金", "local-consumption-tax-grant": "地方消費税交付金",
        "golf-course-tax-grant": "ゴルフ場利用税交付金", "automobile-acquisition-tax-grant": "自動車取得税交付金",
        "environmental-performance-tax-grant": "環境性能割交付金", "local-special-grant": "地方特例交付金",
        "local-allocation-tax": "地方交付税", "special-ward-grant": "特別区交付金",
        "traffic-safety-grant": "交通安全対策特別交付金", "contributions": "分担金及び負担金",
        "fees": "使用料及び手数料", "national-disbursements": "国庫支出金",
        "prefectural-disbursements": "都道府県支出金", "property-income": "財産収入", "donations": "寄附金",
        "transfers-in": "繰入金", "carried-forward": "繰越金", "miscellaneous": "諸収入",
        "local-bonds": "市町村債", "special-ward-bonds": "特別区債",
    },
    "expenditure": {
        "total": "歳出合計", "assembly": "議会費", "general-affairs": "総務費", "welfare": "民生費",
        "health": "衛生費", "labour": "労働費", "agriculture-forestry-fisheries": "農林水産業費",
        "commerce-industry": "商工費", "civil-engineering": "土木費", "fire-service": "消防費",
        "education": "教育費", "disaster-recovery": "災害復旧費", "debt-service": "公債費",
        "miscellaneous": "諸支出金", "reserve": "予備費", "industry-economy": "産業経済費",
        "residents": "区民費", "health-welfare": "福祉保健費", "environment-sanitation": "環境清掃費",
        "urban-development": "都市整備費", "environment-civil-engineering": "環境土木費", "planning": "企画費",
    },
    "expenditure-nature": {
        "total": "歳出合計", "mandatory": "義務的経費", "personnel": "人件費", "social-assistance": "扶助費",
        "debt-service": "公債費", "investment": "投資的経費", "ordinary-construction": "普通建設事業費",
        "disaster-recovery-works": "災害復旧事業費", "unemployment-relief-works": "失業対策事業費",
        "other": "その他の経費", "supplies": "物件費", "maintenance": "維持補修費", "subsidies": "補助費等",
        "reserves": "積立金", "investments": "投資及び出資金", "loans": "貸付金", "transfers-out": "繰出金",
        "prior-year-deficit": "前年度繰上充用金",
    },
}

# match column -> the SKOS mapping property it stands for.
MATCHES = {"exact": "exactMatch", "close": "closeMatch", "broad": "broadMatch", "narrow": "narrowMatch",
           "related": "relatedMatch"}


def link_problem(scheme: str, national: str, match: str) -> str | None:
    """Why a (national, match) pair is wrong for the scheme, or None if it is right."""
    national, match = national.strip(), match.strip()
    if not national:
        return f"match {match!r} given without a national key" if match else None
    keys = SCHEMES[scheme]
    if national not in keys:
        near = difflib.get_close_matches(national, keys, n=1)
        hint = f"; did you mean {near[0]!r} ({keys[near[0]]})?" if near else ""
        return f"{national!r} is not a key of the national code list {scheme!r}{hint}"
    if match not in MATCHES:
        return f"national {national!r} needs a match, one of {', '.join(MATCHES)} (found {match!r})"
    return None
