// The destinations the price summary offers: those the demo's shipping zones and tax
// settings know, and a few more. Names come from Intl, in English like the rest of the shop.
const codes = [
  "AT", "AU", "BE", "CA", "CH", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "JP", "NL", "NO", "NZ", "PL", "PT", "SE", "US",
];

const names = new Intl.DisplayNames(["en"], { type: "region" });

export function countryName(code: string): string {
  return names.of(code) ?? code;
}

/** Country options sorted by name; `current` is included even when it is not a usual one. */
export function countryOptions(current: string): { code: string; name: string }[] {
  const all = codes.includes(current) ? codes : [...codes, current];
  return all.map((code) => ({ code, name: countryName(code) })).sort((a, b) => a.name.localeCompare(b.name));
}
