"""The states' names as the pages write them: Chinese as the mainland press writes them, English."""

NAMES: dict[str, tuple[str, str]] = {  # USPS code -> (Chinese, English)
    "AL": ("亚拉巴马州", "Alabama"),
    "AK": ("阿拉斯加州", "Alaska"),
    "AZ": ("亚利桑那州", "Arizona"),
    "AR": ("阿肯色州", "Arkansas"),
    "CA": ("加利福尼亚州", "California"),
    "CO": ("科罗拉多州", "Colorado"),
    "CT": ("康涅狄格州", "Connecticut"),
    "DE": ("特拉华州", "Delaware"),
    "DC": ("哥伦比亚特区", "District of Columbia"),
    "FL": ("佛罗里达州", "Florida"),
    "GA": ("佐治亚州", "Georgia"),
    "HI": ("夏威夷州", "Hawaii"),
    "ID": ("爱达荷州", "Idaho"),
    "IL": ("伊利诺伊州", "Illinois"),
    "IN": ("印第安纳州", "Indiana"),
    "IA": ("艾奥瓦州", "Iowa"),
    "KS": ("堪萨斯州", "Kansas"),
    "KY": ("肯塔基州", "Kentucky"),
    "LA": ("路易斯安那州", "Louisiana"),
    "ME": ("缅因州", "Maine"),
    "MD": ("马里兰州", "Maryland"),
    "MA": ("马萨诸塞州", "Massachusetts"),
    "MI": ("密歇根州", "Michigan"),
    "MN": ("明尼苏达州", "Minnesota"),
    "MS": ("密西西比州", "Mississippi"),
    "MO": ("密苏里州", "Missouri"),
    "MT": ("蒙大拿州", "Montana"),
    "NE": ("内布拉斯加州", "Nebraska"),
    "NV": ("内华达州", "Nevada"),
    "NH": ("新罕布什尔州", "New Hampshire"),
    "NJ": ("新泽西州", "New Jersey"),
    "NM": ("新墨西哥州", "New Mexico"),
    "NY": ("纽约州", "New York"),
    "NC": ("北卡罗来纳州", "North Carolina"),
    "ND": ("北达科他州", "North Dakota"),
    "OH": ("俄亥俄州", "Ohio"),
    "OK": ("俄克拉何马州", "Oklahoma"),
    "OR": ("俄勒冈州", "Oregon"),
    "PA": ("宾夕法尼亚州", "Pennsylvania"),
    "RI": ("罗得岛州", "Rhode Island"),
    "SC": ("南卡罗来纳州", "South Carolina"),
    "SD": ("南达科他州", "South Dakota"),
    "TN": ("田纳西州", "Tennessee"),
    "TX": ("得克萨斯州", "Texas"),
    "UT": ("犹他州", "Utah"),
    "VT": ("佛蒙特州", "Vermont"),
    "VA": ("弗吉尼亚州", "Virginia"),
    "WA": ("华盛顿州", "Washington"),
    "WV": ("西弗吉尼亚州", "West Virginia"),
    "WI": ("威斯康星州", "Wisconsin"),
    "WY": ("怀俄明州", "Wyoming"),
}


def state_name(code: str, locale: str) -> str:
    """The state's name in the page's language; an unknown code as it is."""
    names = NAMES.get(code)
    if names is None:
        return code
    return names[0] if locale == "zh_CN" else names[1]
