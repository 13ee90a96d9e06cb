namespace Bazaar.Server.Wallet;

/// <summary>Known currencies and their minor-unit scale. Amounts are stored as <c>long</c> minor units.</summary>
public static class Currencies
{
    private static readonly Dictionary<string, int> Scales = new(StringComparer.OrdinalIgnoreCase)
    {
        ["USD"] = 2, ["EUR"] = 2, ["PLN"] = 2, ["RUB"] = 2, ["GBP"] = 2, ["UAH"] = 2, ["KZT"] = 2,
        ["BTC"] = 8, ["LTC"] = 8, ["XTR"] = 0,
        [Credit] = 0,
    };

    /// <summary>Paid-check credits: a ledger unit of their own, never money (no price, no payment is made in it).</summary>
    public const string Credit = "CREDIT";

    /// <summary>Known to the ledger (money or credits).</summary>
    public static bool IsKnown(string? code) => code is not null && Scales.ContainsKey(code);

    /// <summary>A currency money can be in: known and not <see cref="Credit"/>.</summary>
    public static bool IsMoney(string? code) => IsKnown(code) && !string.Equals(code, Credit, StringComparison.OrdinalIgnoreCase);

    public static int Scale(string code) =>
        Scales.TryGetValue(code, out var s) ? s : throw new ArgumentException($"Unknown currency '{code}'.", nameof(code));

    public static string Normalize(string code) => code.Trim().ToUpperInvariant();

    /// <summary>Converts a major-unit amount; fails when it has more decimals than the currency allows.</summary>
    public static bool TryToMinor(decimal amount, string currency, out long minor)
    {
        minor = 0;
        if (!IsMoney(currency)) return false;
        var scaled = amount * Pow10(Scale(currency));
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue || scaled < long.MinValue) return false;
        minor = (long)scaled;
        return true;
    }

    public static decimal ToMajor(long minor, string currency) => minor / Pow10(Scale(currency));

    public static string Format(long minor, string currency) =>
        ToMajor(minor, currency).ToString("F" + Scale(currency), System.Globalization.CultureInfo.InvariantCulture) + " " + currency.ToUpperInvariant();

    public static decimal Pow10(int n)
    {
        var r = 1m;
        for (var i = 0; i < n; i++) r *= 10;
        return r;
    }
}

/// <summary>The shop's base currency (<c>Shop:Currency</c>, default USD).</summary>
public sealed class ShopCurrencyOptions
{
    public string Currency { get; set; } = "USD";
}
