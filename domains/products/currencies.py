"""ISO 4217 currency codes in circulation, with their minor units (cents, fils, none).

Prices are stored in minor units, so the exponent tells a client where the decimal
point goes: 1999 USD is 19.99, 1999 JPY is 1999, 1999 BHD is 1.999.
"""

from __future__ import annotations

# Two decimals unless listed in _EXPONENTS.
_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR
    ZMW ZWG
"""

_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENTS = {
    **dict.fromkeys(_ZERO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
}

CURRENCY_EXPONENTS: dict[str, int] = {code: _EXPONENTS.get(code, 2) for code in _CODES.split()}


def normalize_currency(value: str) -> str | None:
    """The upper-cased code when it is a known currency, else None."""
    code = value.strip().upper()
    return code if code in CURRENCY_EXPONENTS else None


def minor_unit_exponent(currency: str) -> int:
    return CURRENCY_EXPONENTS.get(currency, 2)
