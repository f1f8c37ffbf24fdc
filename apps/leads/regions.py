"""The state or province a lead is in, for the calling rules that differ by state (apps.calls
compliance): from the state the lead was given (a code or a name), else from a North American
number's area code (phonenumbers' geocoding data names the state of every area code)."""

from functools import cache

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin",
    "WY": "Wyoming", "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands",
}  # fmt: skip
CA_PROVINCES = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories", "NU": "Nunavut",
    "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec", "SK": "Saskatchewan", "YT": "Yukon",
}  # fmt: skip
SUBDIVISIONS = {"US": US_STATES, "CA": CA_PROVINCES}
# Names phonenumbers' geocoder uses that are not the plain state name.
_GEOCODER_NAMES = {"Washington State": "WA", "Washington D.C.": "DC", "Washington, D.C.": "DC",
                   "Newfoundland": "NL", "Quebec City": "QC"}  # fmt: skip


@cache
def _by_name() -> dict[str, tuple[str, str]]:
    """Lower-case name or code -> (country, code)."""
    out = {}
    for country, table in SUBDIVISIONS.items():
        for code, name in table.items():
            out[name.lower()] = (country, code)
            out.setdefault(code.lower(), (country, code))
    return out


@cache
def area_code_subdivisions() -> dict[str, str]:
    """'1305' -> 'FL': each NANP area code's state or province, from phonenumbers' geocoding data."""
    from phonenumbers.geodata import GEOCODE_DATA

    names = _by_name()
    out = {}
    for prefix, descriptions in GEOCODE_DATA.items():
        if len(prefix) != 4 or not prefix.startswith("1"):
            continue
        name = descriptions.get("en", "")
        code = _GEOCODER_NAMES.get(name)
        if code is None and ", " in name:
            code = name.rsplit(", ", 1)[1].upper()
        if code is None and name.lower() in names:
            code = names[name.lower()][1]
        if code and any(code in table for table in SUBDIVISIONS.values()):
            out[prefix] = code
    return out


def subdivision_of(*, state: str = "", country: str = "", e164: str = "") -> str:
    """The code of the state the lead is in ("" when unknown). A state given in the lead's own data
    wins (if it names one of the number's country); else a North American number's area code."""
    text = (state or "").strip().lower().replace(".", "")
    if text:
        found = _by_name().get(text)
        if found and (not country or found[0] == country):
            return found[1]
    if e164.startswith("+1") and len(e164) == 12:
        return area_code_subdivisions().get(e164[1:5], "")
    return ""
