"""Reference tables the synthetic portfolio draws from: regions, industries, loan products.

Codes are real: GB/T 2260 county-level division codes and GB/T 4754-2017 industry
divisions, so that downstream code-table checks see plausible values. The risk effects are
the generator's own assumptions (added to a firm's default log-odds), not statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BIRTHPLACE_CODES",
    "INDUSTRIES",
    "INDUSTRY_WEIGHTS",
    "PRODUCTS",
    "REGIONS",
    "REGION_WEIGHTS",
    "SIZES",
    "Industry",
    "Product",
    "Region",
    "SizeClass",
]


@dataclass(frozen=True, slots=True)
class Region:
    """A county-level division where firms are registered and the branch that serves it."""

    code: str
    province_abbr: str
    city: str
    district: str
    branch_code: str
    risk_effect: float


@dataclass(frozen=True, slots=True)
class Industry:
    """A GB/T 4754 division with the words used in firm names and its risk profile."""

    code: str
    label: str
    name_words: tuple[str, ...]
    risk_effect: float
    # Effective VAT paid as a share of taxable sales (value added x statutory rate).
    tax_share: float
    # Whether individual businesses (个体工商户, USCC type 2) are common in the division.
    individual_ok: bool
    # Amplitude of the yearly sales cycle (agriculture and catering swing the most).
    seasonality: float


@dataclass(frozen=True, slots=True)
class SizeClass:
    """Firm-size class (micro/small/medium) with the medians that scale a firm."""

    name: str
    weight: float
    employees_median: float
    revenue_median_yuan: float
    capital_range_wan: tuple[int, int]
    risk_effect: float


@dataclass(frozen=True, slots=True)
class Product:
    """A loan product: guarantee type, repayment methods and base price."""

    name: str
    guarantee_type: str
    methods: tuple[str, ...]
    base_rate_e4: int
    terms: tuple[int, ...]


REGIONS: tuple[Region, ...] = (
    Region("330106", "浙", "杭州市", "西湖区", "HZ01", -0.10),
    Region("330102", "浙", "杭州市", "上城区", "HZ01", -0.10),
    Region("330105", "浙", "杭州市", "拱墅区", "HZ02", 0.00),
    Region("330108", "浙", "杭州市", "滨江区", "HZ02", -0.15),
    Region("330110", "浙", "杭州市", "余杭区", "HZ03", 0.00),
    Region("330203", "浙", "宁波市", "海曙区", "NB01", 0.00),
    Region("330212", "浙", "宁波市", "鄞州区", "NB01", 0.05),
    Region("320102", "苏", "南京市", "玄武区", "NJ01", -0.05),
    Region("320105", "苏", "南京市", "建邺区", "NJ01", 0.00),
    Region("320505", "苏", "苏州市", "虎丘区", "SU01", -0.05),
    Region("320506", "苏", "苏州市", "吴中区", "SU01", 0.05),
    Region("310115", "沪", "上海市", "浦东新区", "SH01", -0.10),
    Region("310104", "沪", "上海市", "徐汇区", "SH01", -0.10),
    Region("440305", "粤", "深圳市", "南山区", "SZ01", -0.05),
    Region("440304", "粤", "深圳市", "福田区", "SZ01", 0.00),
    Region("440106", "粤", "广州市", "天河区", "GZ01", 0.00),
    Region("440104", "粤", "广州市", "越秀区", "GZ01", 0.05),
    Region("510107", "川", "成都市", "武侯区", "CD01", 0.20),
    Region("510104", "川", "成都市", "锦江区", "CD01", 0.15),
    Region("420106", "鄂", "武汉市", "武昌区", "WH01", 0.25),
    Region("420111", "鄂", "武汉市", "洪山区", "WH01", 0.30),
)
# Hangzhou-heavy: the reference lender is a Zhejiang city commercial bank.
REGION_WEIGHTS: tuple[float, ...] = (
    9,
    7,
    7,
    6,
    8,
    6,
    6,
    4,
    4,
    4,
    4,
    5,
    4,
    4,
    3,
    4,
    3,
    3,
    3,
    3,
    3,
)

INDUSTRIES: tuple[Industry, ...] = (
    Industry("A01", "农业", ("农业", "种植", "果蔬"), 0.25, 0.010, False, 0.35),
    Industry("A03", "畜牧业", ("养殖", "牧业"), 0.30, 0.010, False, 0.20),
    Industry("C13", "农副食品加工业", ("食品", "粮油", "农产品加工"), 0.05, 0.025, False, 0.15),
    Industry("C18", "纺织服装、服饰业", ("服饰", "制衣", "纺织"), 0.20, 0.030, False, 0.15),
    Industry("C33", "金属制品业", ("五金", "金属制品", "精密机械"), 0.10, 0.030, False, 0.08),
    Industry("C34", "通用设备制造业", ("机械设备", "机电", "自动化设备"), 0.00, 0.030, False, 0.08),
    Industry(
        "C39",
        "计算机、通信和其他电子设备制造业",
        ("电子", "光电", "通信设备"),
        -0.10,
        0.030,
        False,
        0.08,
    ),
    Industry("E47", "房屋建筑业", ("建筑工程", "建设"), 0.45, 0.020, False, 0.20),
    Industry("E48", "土木工程建筑业", ("市政工程", "路桥工程"), 0.40, 0.020, False, 0.20),
    Industry("F51", "批发业", ("贸易", "商贸", "供应链"), 0.10, 0.020, True, 0.10),
    Industry("F52", "零售业", ("百货", "超市", "便利店"), 0.15, 0.020, True, 0.12),
    Industry("G54", "道路运输业", ("物流", "运输", "货运"), 0.20, 0.020, False, 0.10),
    Industry("H61", "住宿业", ("酒店", "宾馆", "民宿"), 0.30, 0.025, True, 0.25),
    Industry("H62", "餐饮业", ("餐饮", "餐饮管理", "小吃"), 0.30, 0.025, True, 0.20),
    Industry("I64", "互联网和相关服务", ("网络科技", "互联网"), -0.15, 0.030, False, 0.05),
    Industry(
        "I65", "软件和信息技术服务业", ("软件", "信息技术", "数据科技"), -0.25, 0.030, False, 0.05
    ),
    Industry("L72", "商务服务业", ("商务咨询", "企业管理", "广告"), 0.05, 0.030, False, 0.05),
    Industry("M75", "科技推广和应用服务业", ("科技", "技术服务"), -0.10, 0.030, False, 0.05),
    Industry("O80", "居民服务业", ("家政服务", "美容美发", "洗衣"), 0.15, 0.015, True, 0.10),
)
INDUSTRY_WEIGHTS: tuple[float, ...] = (
    2,
    1,
    4,
    4,
    5,
    5,
    3,
    4,
    2,
    14,
    12,
    5,
    3,
    8,
    4,
    6,
    5,
    4,
    5,
)

SIZES: tuple[SizeClass, ...] = (
    SizeClass("micro", 0.62, 6.0, 1_800_000.0, (10, 100), 0.25),
    SizeClass("small", 0.29, 35.0, 15_000_000.0, (100, 1000), 0.0),
    SizeClass("medium", 0.09, 160.0, 90_000_000.0, (1000, 5000), -0.30),
)

PRODUCTS: tuple[Product, ...] = (
    Product("小微信用快贷", "credit", ("equal_instalment",), 620, (12, 24)),
    Product("小微经营贷", "guarantee", ("equal_instalment", "equal_principal"), 520, (12, 24, 36)),
    Product("抵押经营贷", "mortgage", ("interest_only", "equal_principal"), 420, (24, 36)),
    Product("应收账款质押贷", "pledge", ("interest_only", "equal_instalment"), 480, (12, 24)),
)

#: Extra real county codes used as birthplaces in resident ID numbers.
BIRTHPLACE_CODES: tuple[str, ...] = (
    "330122",  # 桐庐县
    "330327",  # 苍南县
    "341222",  # 太和县
    "362329",  # 余干县
    "510722",  # 三台县
    "420922",  # 大悟县
    "411324",  # 镇平县
    "350583",  # 南安市
)
